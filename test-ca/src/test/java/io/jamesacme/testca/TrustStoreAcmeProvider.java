package io.jamesacme.testca;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/** acme4j provider whose HTTP client trusts only the test CA's trust store. */
final class TrustStoreAcmeProvider extends GenericAcmeProvider {

    private final SSLContext sslContext;

    TrustStoreAcmeProvider(TestCa ca) {
        this.sslContext = sslContext(ca);
    }

    static SSLContext sslContext(TestCa ca) {
        try (InputStream in = Files.newInputStream(ca.trustStore())) {
            KeyStore trustStore = KeyStore.getInstance(ca.trustStoreType());
            trustStore.load(in, ca.trustStorePassword().toCharArray());
            TrustManagerFactory trustManagers =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Loading the CA trust store failed", e);
        }
    }

    @Override
    public HttpClient createHttpClient(NetworkSettings settings) {
        return HttpClient.newBuilder()
                .connectTimeout(settings.getTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .sslContext(sslContext)
                .build();
    }
}
