package dev.llmmeter.serve.http;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokensTest {
    static final String ADMIN = "admin-0123456789abcdef";
    static final String ACME = "acme-0123456789abcdef";

    @Test
    @DisplayName("each line is TOKEN SCOPE: admin or tenant:NAME; blank lines and # comments are skipped")
    void linesGiveEachTokenItsScope() {
        Tokens t = Tokens.parse(List.of("# who reads what", "", ADMIN + " admin", "  " + ACME + "\ttenant:acme  "));
        assertEquals(2, t.size());
        assertEquals(Optional.of(Scope.ADMIN), t.scopeOf(ADMIN));
        assertEquals(Optional.of(Scope.tenant("acme")), t.scopeOf(ACME));
        assertEquals(Optional.empty(), t.scopeOf("acme-0123456789abcdeX"));
        assertEquals(Optional.empty(), t.scopeOf(ACME.substring(1)));
        assertEquals(Optional.empty(), t.scopeOf(null));
    }

    @Test
    @DisplayName("a bad line is named by its number, and no message quotes a token")
    void badLinesAreNamedWithoutTheToken() {
        assertEquals("line 2: expected 'TOKEN SCOPE' (scope admin or tenant:NAME), got 3 fields",
                bad(List.of(ADMIN + " admin", ACME + " tenant:acme extra")));
        assertEquals("line 1: a token must be at least 16 characters (openssl rand -hex 32 makes one)",
                bad(List.of("short-secret admin")));
        assertEquals("line 1: a token is letters, digits and - . _ ~ + / (then = padding)",
                bad(List.of("secret\"0123456789abcdef admin")));
        assertEquals("line 1: scope must be admin or tenant:NAME (NAME 1-256 characters), got 'root'",
                bad(List.of(ADMIN + " root")));
        assertEquals("line 1: scope must be admin or tenant:NAME (NAME 1-256 characters), got 'tenant:'",
                bad(List.of(ADMIN + " tenant:")));
        assertEquals("line 3: this token is already on an earlier line",
                bad(List.of(ADMIN + " admin", "", ADMIN + " tenant:acme")));
        assertEquals("has no token: each line is 'TOKEN SCOPE' (scope admin or tenant:NAME)", bad(List.of("# nothing yet")));
        for (String m : List.of(bad(List.of(ADMIN + " admin", ADMIN + " admin")), bad(List.of(ADMIN + " root")))) {
            assertFalse(m.contains(ADMIN), m);
        }
    }

    @Test
    @DisplayName("load names the file: a missing one, or a bad line in it")
    void loadNamesTheFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("none.tokens");
        assertEquals("tokens file " + missing + " does not exist",
                assertThrows(Tokens.BadTokens.class, () -> Tokens.load(missing)).getMessage());
        Path file = Files.writeString(dir.resolve("http.tokens"), ADMIN + " admin\n" + ACME + " tenant:acme\n");
        assertEquals(2, Tokens.load(file).size());
        Files.writeString(file, ADMIN + " superuser\n");
        assertEquals("tokens file " + file + " line 1: scope must be admin or tenant:NAME (NAME 1-256 characters), got 'superuser'",
                assertThrows(Tokens.BadTokens.class, () -> Tokens.load(file)).getMessage());
    }

    private static String bad(List<String> lines) {
        return assertThrows(Tokens.BadTokens.class, () -> Tokens.parse(lines)).getMessage();
    }
}
