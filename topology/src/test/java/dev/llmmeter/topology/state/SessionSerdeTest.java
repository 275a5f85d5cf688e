package dev.llmmeter.topology.state;

import dev.llmmeter.contract.EventType;
import dev.llmmeter.topology.state.SessionsStore.Entry;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SessionSerdeTest {
    private final SessionSerde serde = new SessionSerde();

    @Test
    void aValueWrittenBeforeModelAndTenantExistedRestoresWithThemNull() {
        byte[] v1 = ByteBuffer.allocate(41).put((byte) 1).putLong(1000).putLong(7).putLong(3).putLong(1200).putLong(1900).array();
        Entry e = serde.deserialize("", v1);
        assertEquals("Entry[Session[begin=1000, output=7, reasoning=3, first=1200, last=1900]]", e.toString());
        Session s = e.session();
        assertNull(s.model());
        assertNull(s.tenant());
    }

    @Test
    void aSessionWithoutLabelsIsStillWrittenInTheOldLayout() {
        byte[] bytes = serde.serialize("", new Entry(new Session(1000, 7, 3, 1200, 1900)));
        assertEquals(41, bytes.length);
        assertEquals(1, bytes[0]);
    }

    @Test
    void modelAndTenantRoundTripInTheNewLayout() {
        Session s = new Session(1000, 7, 3, 1200, 1900, "llama-3-70b", "\u00e9quipe");
        byte[] bytes = serde.serialize("", new Entry(s));
        assertEquals(41 + 4 + 11 + 7, bytes.length, "45 bytes plus the UTF-8 names");
        assertEquals(2, bytes[0]);
        Session back = serde.deserialize("", bytes).session();
        assertEquals(s.toString(), back.toString());
        assertEquals("llama-3-70b", back.model());
        assertEquals("\u00e9quipe", back.tenant());
        Session onlyTenant = serde.deserialize("", serde.serialize("", new Entry(Session.begun(5, 5, null, "t")))).session();
        assertNull(onlyTenant.model());
        assertEquals("t", onlyTenant.tenant());
    }

    /** The third layout's bytes as the versions before output delta times wrote them: they restore, with no TPOT. */
    @Test
    void aNumberedSessionInTheThirdLayoutRestoresFromItsBytesWithoutTimePerOutputToken() {
        byte[] v3 = ByteBuffer.allocate(41 + 2 + 1 + 4).put((byte) 3).putLong(1000).putLong(7).putLong(3).putLong(1200)
                .putLong(1900).put((byte) 0xD8).put((byte) 0x04) // 300 zig-zagged: 600
                .put((byte) 4) // seq - place = 2, zig-zagged
                .putShort((short) 0xFFFF).putShort((short) 0xFFFF).array();
        Entry back = serde.deserialize("", v3);
        assertEquals("Entry[seq=300, place=298, Session[begin=1000, output=7, reasoning=3, first=1200, last=1900]]",
                back.toString());
        assertEquals(Double.NaN, back.session().tpotMs(7));
        back.session().applyDelta(EventType.OUTPUT, 9, 2000, 2000);
        assertEquals(Double.NaN, back.session().tpotMs(9), "nor after a later output delta");
    }

    @Test
    void aNumberedSessionIsWrittenInTheFourthLayoutWithItsOutputDeltaTimesAndSeqAndPlaceAsZigZagVarlongs() {
        Session s = Session.begun(1000, 1000, null, null);
        s.applyDelta(EventType.REASONING, 2, 1100, 1100);
        s.applyDelta(EventType.OUTPUT, 1, 1200, 1200);
        s.applyDelta(EventType.OUTPUT, 7, 1900, 1900);
        byte[] bytes = serde.serialize("", new Entry(s, 300, 298));
        byte[] expected = ByteBuffer.allocate(41 + 16 + 2 + 1 + 4).put((byte) 4).putLong(1000).putLong(7).putLong(2).putLong(1100)
                .putLong(1900).putLong(1200).putLong(1900)
                .put((byte) 0xD8).put((byte) 0x04) // 300 zig-zagged: 600
                .put((byte) 4) // seq - place = 2, zig-zagged
                .putShort((short) 0xFFFF).putShort((short) 0xFFFF).array();
        assertArrayEquals(expected, bytes);
        Entry back = serde.deserialize("", bytes);
        assertEquals("Entry[seq=300, place=298, Session[begin=1000, output=7, reasoning=2, first=1100, last=1900]]",
                back.toString());
        assertEquals(700 / 6.0, back.session().tpotMs(7), "decode time from the first output delta, not the first delta");
    }

    @ParameterizedTest(name = "seq {0}, place {1}")
    @CsvSource({"0, 0", "-5, -5", "-9223372036854775807, -9223372036854775807", "9223372036854775807, 0", "63, 64"})
    void seqAndPlaceRoundTripWithTheNames(long seq, long place) {
        Entry e = new Entry(new Session(1000, 7, 3, Session.NO_DELTA, Session.NO_DELTA, "m", null), seq, place);
        Entry back = serde.deserialize("", serde.serialize("", e));
        assertEquals(seq, back.seq());
        assertEquals(place, back.place());
        assertEquals("m", back.session().model());
        assertNull(back.session().tenant());
        assertFalse(back.session().hasDelta());
    }

    @Test
    void aValueWrittenBeforeSessionsWereNumberedRestoresUnnumbered() {
        byte[] v2 = serde.serialize("", new Entry(new Session(1000, 7, 3, 1200, 1900, "m", "t")));
        assertEquals(2, v2[0]);
        Entry e = serde.deserialize("", v2);
        assertFalse(e.isNumbered());
        assertEquals(Entry.UNNUMBERED, e.seq());
        assertFalse(serde.deserialize("", serde.serialize("", new Entry(new Session(1000, 7, 3, 1200, 1900)))).isNumbered());
    }

    /** The second layout's bytes as the versions before numbers wrote them: a restart on such a changelog reads them. */
    @Test
    void aValueWrittenInTheSecondLayoutRestoresFromItsBytes() {
        byte[] v2 = ByteBuffer.allocate(41 + 4 + 1 + 2).put((byte) 2).putLong(1000).putLong(7).putLong(3).putLong(1200)
                .putLong(1900).putShort((short) 1).put((byte) 'm').putShort((short) 2).put((byte) 't').put((byte) '1').array();
        Entry e = serde.deserialize("", v2);
        assertEquals("Entry[Session[begin=1000, model=m, tenant=t1, output=7, reasoning=3, first=1200, last=1900]]",
                e.toString());
        assertArrayEquals(v2, serde.serialize("", e), "and are written back the same");
    }

    @Test
    void aTruncatedValueIsRejected() {
        byte[] bytes = serde.serialize("", new Entry(new Session(1000, 7, 3, 1200, 1900, "m", "t")));
        assertThrows(SerializationException.class, () -> serde.deserialize("", java.util.Arrays.copyOf(bytes, bytes.length - 1)));
        byte[] v4 = serde.serialize("", new Entry(new Session(1000, 7, 3, 1200, 1900, "m", "t"), 1_000_000, 1_000_000));
        assertEquals(4, v4[0]);
        for (int len = 1; len < v4.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(v4, len);
            assertThrows(SerializationException.class, () -> serde.deserialize("", cut), len + " bytes");
        }
    }
}
