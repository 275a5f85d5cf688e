package dev.llmmeter.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Static membership: the group.instance.id kept in the state directory, and the user's own winning. */
class InstanceIdTest {
    private static Properties app(Path stateDir, String... keyValues) {
        Properties user = new Properties();
        user.put("state.dir", stateDir.toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            user.put(keyValues[i], keyValues[i + 1]);
        }
        return Settings.of(user).streams();
    }

    @Test
    void generatedOnceKeptInTheStateDirAndReusedOnRestart(@TempDir Path tmp) throws Exception {
        Path state = tmp.resolve("not-yet-created/state");
        Properties first = app(state);
        String id = Settings.withInstanceId(first);
        assertEquals(id, first.get("group.instance.id"));
        assertTrue(id.matches("metering-[0-9a-f-]{36}"), id);
        assertEquals(id + "\n", Files.readString(state.resolve(InstanceId.FILE_NAME)));

        Properties restarted = app(state);
        assertEquals(id, Settings.withInstanceId(restarted), "a restart on the same state dir is the same member");
        assertEquals(id, restarted.get("group.instance.id"));
        try (var files = Files.list(state)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void eachStateDirHasItsOwn(@TempDir Path tmp) throws Exception {
        assertNotEquals(Settings.withInstanceId(app(tmp.resolve("a"))), Settings.withInstanceId(app(tmp.resolve("b"))));
    }

    @Test
    void anEmptyOrDamagedFileGetsANewId(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve(InstanceId.FILE_NAME), "");
        String id = InstanceId.of(state);
        assertTrue(id.startsWith("metering-"), id);
        Files.writeString(state.resolve(InstanceId.FILE_NAME), "not an id!\n");
        assertNotEquals(id, InstanceId.of(state));
        assertEquals(InstanceId.of(state), InstanceId.of(state));
    }

    @Test
    void theUsersOwnInstanceIdWinsAndNoFileIsWritten(@TempDir Path state) throws Exception {
        for (String key : new String[] {"group.instance.id", "consumer.group.instance.id", "main.consumer.group.instance.id"}) {
            Properties p = app(state, key, "pod-7");
            assertEquals("pod-7", Settings.withInstanceId(p), key);
            assertEquals("pod-7", p.get(key));
        }
        assertFalse(Files.exists(state.resolve(InstanceId.FILE_NAME)));
    }

    @Test
    void anEmptyInstanceIdTurnsStaticMembershipOff(@TempDir Path state) throws Exception {
        Properties p = app(state, "group.instance.id", "");
        assertNull(Settings.withInstanceId(p));
        assertFalse(p.containsKey("group.instance.id"), "the consumer would reject an empty id");
        assertFalse(Files.exists(state.resolve(InstanceId.FILE_NAME)));
    }

    @Test
    void theStreamsGroupProtocolGetsNone(@TempDir Path state) throws Exception {
        Properties p = app(state, "group.protocol", "streams");
        assertNull(Settings.withInstanceId(p));
        assertFalse(p.containsKey("group.instance.id"));
    }
}
