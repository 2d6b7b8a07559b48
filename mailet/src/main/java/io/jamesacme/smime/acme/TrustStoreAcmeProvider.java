package io.jamesacme.smime.acme;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

import io.jamesacme.smime.config.AcmeSmimeConfiguration.TrustStoreSettings;

/**
 * An acme4j provider for any RFC 8555 directory URL whose HTTPS connections trust the
 * certificates of a configured trust store instead of the JVM's defaults.
 */
class TrustStoreAcmeProvider extends GenericAcmeProvider {
    private final SSLContext sslContext;

    TrustStoreAcmeProvider(TrustStoreSettings trustStore) {
        this.sslContext = sslContext(trustStore);
    }

    @Override
    public HttpClient createHttpClient(NetworkSettings settings) {
        HttpClient.Builder builder = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(settings.getTimeout())
            .proxy(settings.getProxySelector())
            .sslContext(sslContext);
        if (settings.getAuthenticator() != null) {
            builder.authenticator(settings.getAuthenticator());
        }
        return builder.build();
    }

    private static SSLContext sslContext(TrustStoreSettings settings) {
        try (InputStream in = Files.newInputStream(settings.path())) {
            KeyStore keyStore = KeyStore.getInstance(settings.type());
            keyStore.load(in, settings.password().toCharArray());
            TrustManagerFactory trustManagers =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(keyStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot load the ACME trust store " + settings.path()
                + ": " + e.getMessage(), e);
        }
    }
}
