package dev.llmmeter.topology.state;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SessionSerdeTest {
    private final SessionSerde serde = new SessionSerde();

    @Test
    void aValueWrittenBeforeModelAndTenantExistedRestoresWithThemNull() {
        byte[] v1 = ByteBuffer.allocate(41).put((byte) 1).putLong(1000).putLong(7).putLong(3).putLong(1200).putLong(1900).array();
        Session s = serde.deserialize("", v1);
        assertEquals("Session[begin=1000, output=7, reasoning=3, first=1200, last=1900]", s.toString());
        assertNull(s.model());
        assertNull(s.tenant());
    }

    @Test
    void aSessionWithoutLabelsIsStillWrittenInTheOldLayout() {
        byte[] bytes = serde.serialize("", new Session(1000, 7, 3, 1200, 1900));
        assertEquals(41, bytes.length);
        assertEquals(1, bytes[0]);
    }

    @Test
    void modelAndTenantRoundTripInTheNewLayout() {
        Session s = new Session(1000, 7, 3, 1200, 1900, "llama-3-70b", "\u00e9quipe");
        byte[] bytes = serde.serialize("", s);
        assertEquals(41 + 4 + 11 + 7, bytes.length, "45 bytes plus the UTF-8 names");
        assertEquals(2, bytes[0]);
        Session back = serde.deserialize("", bytes);
        assertEquals(s.toString(), back.toString());
        assertEquals("llama-3-70b", back.model());
        assertEquals("\u00e9quipe", back.tenant());
        Session onlyTenant = serde.deserialize("", serde.serialize("", Session.begun(5, 5, null, "t")));
        assertNull(onlyTenant.model());
        assertEquals("t", onlyTenant.tenant());
    }

    @Test
    void aTruncatedValueIsRejected() {
        byte[] bytes = serde.serialize("", new Session(1000, 7, 3, 1200, 1900, "m", "t"));
        assertThrows(SerializationException.class, () -> serde.deserialize("", java.util.Arrays.copyOf(bytes, bytes.length - 1)));
    }
}
