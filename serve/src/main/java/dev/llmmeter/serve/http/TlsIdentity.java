package dev.llmmeter.serve.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's TLS identity from two PEM files, read with the JDK alone: a certificate chain (the server's own
 * certificate first, then its issuers) and its private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), RSA or EC.
 * Held as an in-memory {@link KeyStore} for Jetty's {@code SslContextFactory.Server}.
 *
 * <p>Every problem is found here, before anything listens, and said in one line naming the file: missing or
 * unreadable, no PEM block of the right kind, a key in another format (with the openssl command that converts
 * it), a key that is not the certificate's.
 */
public final class TlsIdentity {
    /** The entry's name in the key store. */
    public static final String ALIAS = "server";
    /** The in-memory key store's password: it never leaves this process, so it guards nothing and needs no secret. */
    private static final char[] STORE_PASSWORD = "metering".toCharArray();
    private static final String CONVERT = "openssl pkcs8 -topk8 -nocrypt -in %s -out key8.pem";
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    /** TLS files that cannot be used; the message names the file and what is wrong with it, in one line. */
    public static final class BadTls extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadTls(String message) {
            super(message);
        }
    }

    private final KeyStore keyStore;
    private final List<X509Certificate> chain;

    private TlsIdentity(KeyStore keyStore, List<X509Certificate> chain) {
        this.keyStore = keyStore;
        this.chain = List.copyOf(chain);
    }

    /**
     * @param certFile PEM certificates, the server's own first
     * @param keyFile  its PEM private key, PKCS#8 unencrypted
     * @throws BadTls in one line naming the file: missing, unreadable, not PEM, a PKCS#1, SEC1 or encrypted key, a
     *                key that does not match the first certificate
     */
    public static TlsIdentity load(Path certFile, Path keyFile) {
        List<X509Certificate> chain = certificates(certFile, read(certFile, "certificate"));
        PrivateKey key = privateKey(keyFile, read(keyFile, "key"), chain.get(0).getPublicKey().getAlgorithm());
        if (!matches(key, chain.get(0).getPublicKey())) {
            for (int i = 1; i < chain.size(); i++) {
                if (matches(key, chain.get(i).getPublicKey())) {
                    throw new BadTls("TLS key file " + keyFile + " is the key of certificate " + (i + 1) + " in " + certFile
                            + ", not of the first: the server's own certificate goes first, then its issuers");
                }
            }
            throw new BadTls("TLS key file " + keyFile + " does not match the certificate in " + certFile);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, STORE_PASSWORD, chain.toArray(new Certificate[0]));
            return new TlsIdentity(store, chain);
        } catch (IOException | GeneralSecurityException e) {
            throw new BadTls("TLS key file " + keyFile + " cannot be used with " + certFile + ": " + e.getMessage());
        }
    }

    /** The key store holding the key and chain under {@link #ALIAS}. */
    public KeyStore keyStore() {
        return keyStore;
    }

    /** The password of {@link #keyStore()} and of its key entry. */
    public String password() {
        return new String(STORE_PASSWORD);
    }

    /** The chain, the server's own certificate first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    private static String read(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1); // PEM is ASCII; stray bytes must not fail decoding
        } catch (NoSuchFileException e) {
            throw new BadTls("TLS " + what + " file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new BadTls("cannot read TLS " + what + " file " + file + ": permission denied");
        } catch (IOException e) {
            throw new BadTls("cannot read TLS " + what + " file " + file + ": " + e.getMessage());
        }
    }

    private static List<X509Certificate> certificates(Path file, String text) {
        List<byte[]> blocks = blocks(text, "CERTIFICATE");
        if (blocks.isEmpty()) {
            if (!blocks(text, "PRIVATE KEY").isEmpty() || !blocks(text, "RSA PRIVATE KEY").isEmpty() || !blocks(text, "EC PRIVATE KEY").isEmpty()) {
                throw new BadTls("TLS certificate file " + file + " holds a private key, not a certificate: are --tls-cert and --tls-key swapped?");
            }
            throw new BadTls("TLS certificate file " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks) {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException e) {
            throw new BadTls("TLS certificate file " + file + ": certificate " + (chain.size() + 1) + " is not a valid X.509 certificate");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file, String text, String algorithm) {
        List<byte[]> pkcs8 = blocks(text, "PRIVATE KEY");
        if (pkcs8.isEmpty()) {
            String convert = String.format(CONVERT, file);
            if (!blocks(text, "RSA PRIVATE KEY").isEmpty()) {
                throw new BadTls("TLS key file " + file + " is a PKCS#1 key (BEGIN RSA PRIVATE KEY); serve reads PKCS#8 "
                        + "(BEGIN PRIVATE KEY), convert it with: " + convert);
            }
            if (!blocks(text, "EC PRIVATE KEY").isEmpty()) {
                throw new BadTls("TLS key file " + file + " is a SEC1 key (BEGIN EC PRIVATE KEY); serve reads PKCS#8 "
                        + "(BEGIN PRIVATE KEY), convert it with: " + convert);
            }
            if (!blocks(text, "ENCRYPTED PRIVATE KEY").isEmpty()) {
                throw new BadTls("TLS key file " + file + " is encrypted (BEGIN ENCRYPTED PRIVATE KEY); serve reads an unencrypted "
                        + "key, decrypt it with: " + convert);
            }
            throw new BadTls("TLS key file " + file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        if (pkcs8.size() > 1) {
            throw new BadTls("TLS key file " + file + " holds " + pkcs8.size() + " private keys: give the server's one only");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pkcs8.get(0));
        for (String alg : new String[] {algorithm, "RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec); // an RSA key beside an EC certificate: a mismatch below
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // try the next
            }
        }
        throw new BadTls("TLS key file " + file + " holds no RSA or EC private key that Java can read");
    }

    /** Whether {@code key} signs what {@code certified} verifies: the one test of a pair that holds for RSA and EC alike. */
    private static boolean matches(PrivateKey key, PublicKey certified) {
        if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
            return false;
        }
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The decoded bodies of the PEM blocks labelled exactly {@code label}, in order; a body that is not base64 as no bytes. */
    private static List<byte[]> blocks(String text, String label) {
        List<byte[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(label)) {
                try {
                    out.add(Base64.getMimeDecoder().decode(m.group(2)));
                } catch (IllegalArgumentException e) {
                    out.add(new byte[0]); // not base64 (or with headers): there, but unreadable
                }
            }
        }
        return out;
    }
}
