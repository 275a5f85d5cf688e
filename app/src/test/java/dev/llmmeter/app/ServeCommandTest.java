package dev.llmmeter.app;

import dev.llmmeter.serve.http.Access;
import dev.llmmeter.serve.http.Scope;
import dev.llmmeter.serve.http.TestCertificates;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServeCommandTest {
    static final String ADMIN = "admin-0123456789abcdef";

    @TempDir
    Path dir;

    private record Run(int exit, String firstLine, String err) {
    }

    private static Run serve(String... args) {
        CommandLine cmd = ServiceMain.commandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 5];
        System.arraycopy(new String[] {"serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "0"}, 0, all, 0, 5);
        System.arraycopy(args, 0, all, 5, args.length);
        int exit = cmd.execute(all);
        return new Run(exit, err.toString().lines().findFirst().orElse(""), err.toString());
    }

    private static Settings settings(String... keyValues) {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "127.0.0.1:1");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return Settings.of(p);
    }

    private Path tokens() throws Exception {
        return Files.writeString(dir.resolve("http.tokens"), ADMIN + " admin\nacme-0123456789abcdef tenant:acme\n");
    }

    @Test
    @DisplayName("--http-host with an address this machine lacks says so in one line (not 'port already in use') and exits 2")
    void anHttpHostThisMachineLacksIsNamedAsSuch() {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
        Run r = serve("--http-host", "192.0.2.1");
        assertEquals(2, r.exit());
        assertEquals("metering serve: --http-host 192.0.2.1 is not an address of this machine", r.firstLine());
    }

    @Test
    @DisplayName("no tokens file and an address other than loopback: refused in one line, exit 2, unless --allow-anonymous")
    void anonymousOffLoopbackIsRefused() {
        Run r = serve("--http-host", "0.0.0.0");
        assertEquals(2, r.exit());
        assertEquals("metering serve: --http-host 0.0.0.0 is not a loopback address and no tokens file is set: give --tokens-file "
                + "(or metering.http.tokens.file), or --allow-anonymous to let anyone who reaches it read every tenant's figures", r.firstLine());
        Access open = ServeCommand.access(settings(), "0.0.0.0", true);
        assertTrue(open.anonymousAccess());
        assertEquals(List.of(), open.corsOrigins());
    }

    @Test
    @DisplayName("loopback needs no tokens file: serve (and run) listen on 127.0.0.1 by default; run is anonymous there, with the CORS setting")
    void loopbackByDefault() {
        assertTrue(ServeCommand.access(settings(), "127.0.0.1", false).anonymousAccess());
        assertTrue(ServeCommand.access(settings(), "localhost", false).anonymousAccess());
        assertEquals("127.0.0.1", ServeCommand.host(null));
        Access run = ServeCommand.anonymous(settings(Settings.HTTP_TOKENS_FILE, "/nowhere", Settings.HTTP_CORS_ORIGINS, "*"), "127.0.0.1");
        assertTrue(run.anonymousAccess());
        assertEquals(List.of("*"), run.corsOrigins());
        assertEquals("0.0.0.0", ServeCommand.host("0.0.0.0"));
    }

    @Test
    @DisplayName("the tokens file comes from --tokens-file or metering.http.tokens.file (METERING_HTTP_TOKENS_FILE); tokens admit any host")
    void tokensFileFromFlagOrSetting() throws Exception {
        Path file = tokens();
        Access access = ServeCommand.access(settings(Settings.HTTP_TOKENS_FILE, file.toString()), "0.0.0.0", false);
        assertEquals(Optional.of(Scope.ADMIN), access.tokens().scopeOf(ADMIN));
        assertEquals(Optional.of(Scope.tenant("acme")), access.tokens().scopeOf("acme-0123456789abcdef"));
        Settings fromEnv = Settings.load(null, Map.of("METERING_HTTP_TOKENS_FILE", file.toString()), new Properties());
        assertEquals(file.toString(), fromEnv.httpTokensFile());
        assertNull(settings().httpTokensFile());
    }

    @Test
    @DisplayName("a bad tokens file is one line naming the file and the line, never the token, exit 2")
    void badTokensFileIsExit2() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.tokens"), "# tokens\n" + ADMIN + " root\n");
        Run r = serve("--tokens-file", file.toString());
        assertEquals(2, r.exit());
        assertEquals("metering serve: tokens file " + file + " line 2: scope must be admin or tenant:NAME (NAME 1-256 characters), got 'root'",
                r.firstLine());
        assertFalse(r.err().contains(ADMIN), r.err());
        Run missing = serve("--tokens-file", dir.resolve("none").toString());
        assertEquals(2, missing.exit());
        assertEquals("metering serve: tokens file " + dir.resolve("none") + " does not exist", missing.firstLine());
    }

    @Test
    @DisplayName("--allow-anonymous beside a tokens file is a contradiction: one line, exit 2")
    void allowAnonymousWithTokensIsRefused() throws Exception {
        Path file = tokens();
        Run r = serve("--tokens-file", file.toString(), "--allow-anonymous");
        assertEquals(2, r.exit());
        assertEquals("metering serve: --allow-anonymous contradicts the tokens file " + file + ": give one or the other", r.firstLine());
    }

    @Test
    @DisplayName("CORS origin * only for anonymous use on loopback; listed origins anywhere; a malformed origin names the setting")
    void corsAnyOriginOnlyAnonymousOnLoopback() throws Exception {
        String refused = "metering.http.cors.origins * (any web page may read the figures) is allowed only without tokens "
                + "on a loopback address: list the origins instead";
        assertEquals(List.of("*"), ServeCommand.access(settings(Settings.HTTP_CORS_ORIGINS, "*"), "127.0.0.1", false).corsOrigins());
        assertEquals(refused, assertThrows(IllegalArgumentException.class, () -> ServeCommand.access(
                settings(Settings.HTTP_CORS_ORIGINS, "*"), "0.0.0.0", true)).getMessage());
        assertEquals(refused, assertThrows(IllegalArgumentException.class, () -> ServeCommand.access(
                settings(Settings.HTTP_CORS_ORIGINS, "*", Settings.HTTP_TOKENS_FILE, tokens().toString()), "127.0.0.1", false)).getMessage());
        assertEquals(List.of("https://chat.example.com", "http://localhost:3000"), ServeCommand.access(settings(
                Settings.HTTP_CORS_ORIGINS, "https://chat.example.com, http://localhost:3000", Settings.HTTP_TOKENS_FILE, tokens().toString()),
                "0.0.0.0", false).corsOrigins());
        assertEquals("Invalid value https://chat.example.com/app for configuration metering.http.cors.origins: "
                        + "an origin is scheme://host[:port], or *",
                assertThrows(Settings.SettingsException.class, () -> settings(Settings.HTTP_CORS_ORIGINS, "https://chat.example.com/app"))
                        .getMessage());
    }

    @Test
    @DisplayName("--help shows the loopback default and the token options, and no option takes a token itself")
    void helpShowsTheAccessOptions() {
        String help = ServiceMain.commandLine().getSubcommands().get("serve").getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(help.contains("Interface to listen on (default: 127.0.0.1, this machine only; 0.0.0.0: all)."), help);
        assertTrue(help.contains("--tokens-file=FILE"), help);
        assertTrue(help.contains("--allow-anonymous"), help);
        assertFalse(help.toLowerCase(java.util.Locale.ROOT).contains("--token="), help);
    }

    @Test
    @DisplayName("--tls-cert without --tls-key (or the key alone, flag or setting) is one line, exit 2; neither: plain HTTP")
    void tlsCertAndKeyGoTogether() throws Exception {
        TestCertificates.Pair pair = TestCertificates.fixturePair(dir, "rsa");
        Run certOnly = serve("--tls-cert", pair.cert().toString());
        assertEquals(2, certOnly.exit());
        assertEquals("metering serve: metering.http.tls.cert (--tls-cert) is set but metering.http.tls.key (--tls-key) is not: "
                + "give both for HTTPS, or neither for plain HTTP", certOnly.firstLine());
        assertEquals("Run 'metering serve --help' for usage.", certOnly.err().lines().skip(1).findFirst().orElse(""));
        Run keyOnly = serve("--tls-key", pair.key().toString());
        assertEquals(2, keyOnly.exit());
        assertEquals("metering serve: metering.http.tls.key (--tls-key) is set but metering.http.tls.cert (--tls-cert) is not: "
                + "give both for HTTPS, or neither for plain HTTP", keyOnly.firstLine());
        assertNull(ServeCommand.tls(settings()));
    }

    @Test
    @DisplayName("the TLS files come from --tls-cert/--tls-key or metering.http.tls.cert/.key (METERING_HTTP_TLS_CERT, METERING_HTTP_TLS_KEY)")
    void tlsFilesFromFlagsOrSettings() throws Exception {
        TestCertificates.Pair pair = TestCertificates.fixturePair(dir, "ec");
        Settings fromEnv = Settings.load(null, Map.of("METERING_HTTP_TLS_CERT", pair.cert().toString(),
                "METERING_HTTP_TLS_KEY", pair.key().toString()), new Properties());
        assertEquals(pair.cert().toString(), fromEnv.httpTlsCert());
        assertEquals(pair.key().toString(), fromEnv.httpTlsKey());
        assertEquals("CN=localhost", ServeCommand.tls(fromEnv).chain().get(0).getSubjectX500Principal().getName());
        assertNull(settings().httpTlsCert());
        assertNull(settings().httpTlsKey());
    }

    @Test
    @DisplayName("a bad TLS file (here a PKCS#1 key) is one line naming the file and the fix, no stack trace, exit 2, before anything listens")
    void badTlsFileIsExit2() throws Exception {
        TestCertificates.Pair pair = TestCertificates.fixturePair(dir, "rsa");
        Path pkcs1 = TestCertificates.fixture(dir, "rsa.pkcs1.pem");
        Run r = serve("--tls-cert", pair.cert().toString(), "--tls-key", pkcs1.toString());
        assertEquals(2, r.exit());
        assertEquals("metering serve: TLS key file " + pkcs1 + " is a PKCS#1 key (BEGIN RSA PRIVATE KEY); serve reads PKCS#8 "
                + "(BEGIN PRIVATE KEY), convert it with: openssl pkcs8 -topk8 -nocrypt -in " + pkcs1 + " -out key8.pem", r.firstLine());
        assertEquals(2, r.err().lines().count(), r.err());
        Run missing = serve("--tls-cert", dir.resolve("none.pem").toString(), "--tls-key", pair.key().toString());
        assertEquals(2, missing.exit());
        assertEquals("metering serve: TLS certificate file " + dir.resolve("none.pem") + " does not exist", missing.firstLine());
        // before anything listens: on a port already taken, the bad file is still what is said (not "cannot listen", exit 1)
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CommandLine cmd = ServiceMain.commandLine();
            StringWriter err = new StringWriter();
            cmd.setErr(new PrintWriter(err));
            assertEquals(2, cmd.execute("serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", String.valueOf(taken.getLocalPort()),
                    "--tls-cert", pair.cert().toString(), "--tls-key", pkcs1.toString()));
            assertEquals(r.firstLine(), err.toString().lines().findFirst().orElse(""));
        }
    }

    @Test
    @DisplayName("TLS changes nothing of the loopback rule: off loopback, without tokens or --allow-anonymous, refused the same way")
    void tlsStillNeedsTokensOffLoopback() throws Exception {
        TestCertificates.Pair pair = TestCertificates.fixturePair(dir, "rsa");
        Run r = serve("--http-host", "0.0.0.0", "--tls-cert", pair.cert().toString(), "--tls-key", pair.key().toString());
        assertEquals(2, r.exit());
        assertEquals("metering serve: --http-host 0.0.0.0 is not a loopback address and no tokens file is set: give --tokens-file "
                + "(or metering.http.tokens.file), or --allow-anonymous to let anyone who reaches it read every tenant's figures", r.firstLine());
    }
}
