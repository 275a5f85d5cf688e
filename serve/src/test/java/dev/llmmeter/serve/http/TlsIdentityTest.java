package dev.llmmeter.serve.http;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PEM files of --tls-cert and --tls-key, read with the JDK: what loads, and the one line for each thing that does not. */
class TlsIdentityTest {
    @TempDir
    static Path dir;
    static TestCertificates.Pair rsa;
    static TestCertificates.Pair ec;

    @BeforeAll
    static void copyFixtures() throws Exception {
        rsa = TestCertificates.fixturePair(dir, "rsa");
        ec = TestCertificates.fixturePair(dir, "ec");
    }

    private static String refused(Path cert, Path key) {
        return assertThrows(TlsIdentity.BadTls.class, () -> TlsIdentity.load(cert, key)).getMessage();
    }

    private static X509Certificate certificate(TlsIdentity id) throws Exception {
        return (X509Certificate) id.keyStore().getCertificate(TlsIdentity.ALIAS);
    }

    @Test
    @DisplayName("an RSA certificate and its PKCS#8 key load into a key store: the key under the alias, with the certificate")
    void rsaPairLoads() throws Exception {
        TlsIdentity id = TlsIdentity.load(rsa.cert(), rsa.key());
        KeyStore store = id.keyStore();
        assertEquals(1, store.size());
        assertEquals("RSA", store.getKey(TlsIdentity.ALIAS, id.password().toCharArray()).getAlgorithm());
        assertEquals("CN=localhost", certificate(id).getSubjectX500Principal().getName());
        assertEquals(1, id.chain().size());
    }

    @Test
    @DisplayName("an EC (P-256) certificate and its PKCS#8 key load the same way")
    void ecPairLoads() throws Exception {
        TlsIdentity id = TlsIdentity.load(ec.cert(), ec.key());
        assertEquals("EC", id.keyStore().getKey(TlsIdentity.ALIAS, id.password().toCharArray()).getAlgorithm());
        assertEquals("CN=localhost", certificate(id).getSubjectX500Principal().getName());
    }

    @Test
    @DisplayName("a chain, the server's certificate first and then its issuer, loads whole, in that order")
    void chainLeafFirstLoads() throws Exception {
        TestCertificates.Pair leaf = TestCertificates.fixturePair(dir, "leaf"); // issued by rsa.crt.pem
        Path chain = TestCertificates.bundle(dir.resolve("chain.pem"), leaf.cert(), rsa.cert());
        TlsIdentity id = TlsIdentity.load(chain, leaf.key());
        assertEquals(2, id.chain().size());
        assertEquals(2, id.keyStore().getCertificateChain(TlsIdentity.ALIAS).length);
        assertEquals(id.chain().get(1).getSubjectX500Principal(), id.chain().get(0).getIssuerX500Principal());
        Path reversed = TestCertificates.bundle(dir.resolve("reversed.pem"), rsa.cert(), leaf.cert());
        assertEquals("TLS key file " + leaf.key() + " is the key of certificate 2 in " + reversed
                + ", not of the first: the server's own certificate goes first, then its issuers", refused(reversed, leaf.key()));
    }

    @Test
    @DisplayName("another certificate's key, RSA or EC, is refused as not matching, naming both files")
    void mismatchedKeyIsRefused() {
        assertEquals("TLS key file " + ec.key() + " does not match the certificate in " + rsa.cert(), refused(rsa.cert(), ec.key()));
        assertEquals("TLS key file " + rsa.key() + " does not match the certificate in " + ec.cert(), refused(ec.cert(), rsa.key()));
    }

    @Test
    @DisplayName("another RSA certificate's RSA key is refused as not matching")
    void anotherRsaKeyIsRefused() throws Exception {
        TestCertificates.Pair other = TestCertificates.fixturePair(dir, "other");
        assertEquals("TLS key file " + other.key() + " does not match the certificate in " + rsa.cert(), refused(rsa.cert(), other.key()));
    }

    @Test
    @DisplayName("a PKCS#1 key (BEGIN RSA PRIVATE KEY) is refused with the openssl command that converts it")
    void pkcs1KeyIsRefusedWithTheConversion() throws Exception {
        Path pkcs1 = TestCertificates.fixture(dir, "rsa.pkcs1.pem");
        assertTrue(Files.readString(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertEquals("TLS key file " + pkcs1 + " is a PKCS#1 key (BEGIN RSA PRIVATE KEY); serve reads PKCS#8 (BEGIN PRIVATE KEY), "
                + "convert it with: openssl pkcs8 -topk8 -nocrypt -in " + pkcs1 + " -out key8.pem", refused(rsa.cert(), pkcs1));
    }

    @Test
    @DisplayName("the PKCS#1 key converted by the command of the message (make-fixtures.sh runs it) loads")
    void theConvertedKeyLoads() throws Exception {
        Path converted = TestCertificates.fixture(dir, "rsa.pkcs1.converted.pem");
        assertEquals(1, TlsIdentity.load(rsa.cert(), converted).keyStore().size());
    }

    @Test
    @DisplayName("a SEC1 EC key (BEGIN EC PRIVATE KEY) and an encrypted key are refused with the same command")
    void sec1AndEncryptedKeysAreRefused() throws Exception {
        Path sec1 = TestCertificates.fixture(dir, "ec.sec1.pem");
        assertEquals("TLS key file " + sec1 + " is a SEC1 key (BEGIN EC PRIVATE KEY); serve reads PKCS#8 (BEGIN PRIVATE KEY), "
                + "convert it with: openssl pkcs8 -topk8 -nocrypt -in " + sec1 + " -out key8.pem", refused(ec.cert(), sec1));
        Path encrypted = TestCertificates.fixture(dir, "rsa.encrypted.pem");
        assertEquals("TLS key file " + encrypted + " is encrypted (BEGIN ENCRYPTED PRIVATE KEY); serve reads an unencrypted key, "
                + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in " + encrypted + " -out key8.pem", refused(rsa.cert(), encrypted));
    }

    @Test
    @DisplayName("garbage is refused as holding no PEM certificate, or no PEM private key")
    void garbageIsRefused() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n\u0000\u00ff\n");
        assertEquals("TLS certificate file " + garbage + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)", refused(garbage, rsa.key()));
        assertEquals("TLS key file " + garbage + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)", refused(rsa.cert(), garbage));
        Path broken = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n");
        assertEquals("TLS certificate file " + broken + ": certificate 1 is not a valid X.509 certificate", refused(broken, rsa.key()));
        Path brokenKey = Files.writeString(dir.resolve("broken.key.pem"), "-----BEGIN PRIVATE KEY-----\nTUlJQm9n\n-----END PRIVATE KEY-----\n");
        assertEquals("TLS key file " + brokenKey + " holds no RSA or EC private key that Java can read", refused(rsa.cert(), brokenKey));
    }

    @Test
    @DisplayName("the key given as the certificate (files swapped) is named as such")
    void swappedFilesAreNamed() {
        assertEquals("TLS certificate file " + rsa.key() + " holds a private key, not a certificate: are --tls-cert and --tls-key swapped?",
                refused(rsa.key(), rsa.cert()));
    }

    @Test
    @DisplayName("a missing file, and a path that cannot be read as a file, are named")
    void missingAndUnreadableFilesAreNamed() throws Exception {
        Path none = dir.resolve("none.pem");
        assertEquals("TLS certificate file " + none + " does not exist", refused(none, rsa.key()));
        assertEquals("TLS key file " + none + " does not exist", refused(rsa.cert(), none));
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        assertEquals("cannot read TLS key file " + directory + ": Is a directory", refused(rsa.cert(), directory));
    }
}
