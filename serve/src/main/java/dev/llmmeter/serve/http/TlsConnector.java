package dev.llmmeter.serve.http;

import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The HTTPS port: TLS, then ALPN choosing HTTP/2 ({@code h2}) or HTTP/1.1 (also for a client that offers no ALPN).
 * Both speak through a copy of the plain connector's {@link HttpConfiguration}, so the request-head limit and the
 * rest are the same with or without TLS.
 */
final class TlsConnector {
    private TlsConnector() {
    }

    static ServerConnector create(Server server, HttpConfiguration plain, TlsIdentity identity, String host, int port) {
        HttpConfiguration https = new HttpConfiguration(plain);
        https.setSecureScheme("https");
        https.addCustomizer(new SecureRequestCustomizer());

        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(identity.keyStore());
        ssl.setKeyStorePassword(identity.password());
        ssl.setKeyManagerPassword(identity.password());
        ssl.setCertAlias(TlsIdentity.ALIAS);
        ssl.setCipherComparator(HTTP2Cipher.COMPARATOR); // ciphers HTTP/2 allows first (RFC 9113, 9.2.2)

        HttpConnectionFactory http1 = new HttpConnectionFactory(https);
        HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(https);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(); // offers what follows it on the connector, h2 first
        alpn.setDefaultProtocol(http1.getProtocol());
        SslConnectionFactory tls = new SslConnectionFactory(ssl, alpn.getProtocol());

        ServerConnector connector = new ServerConnector(server, tls, alpn, http2, http1);
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }
}
