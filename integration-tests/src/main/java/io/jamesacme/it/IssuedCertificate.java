package io.jamesacme.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A private key and certificate chain read from a PKCS#12 file written by the extension.
 *
 * @param chain the end-entity certificate first
 */
public record IssuedCertificate(Path keyStore, String alias, PrivateKey privateKey, List<X509Certificate> chain) {

    /** General name type of an rfc822Name (RFC 5280, 4.2.1.6) in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int RFC822_NAME = 1;

    /**
     * Reads the key entry {@code alias} from a PKCS#12 file.
     *
     * @throws GeneralSecurityException if the passphrase is wrong or the entry is missing or not a key entry
     */
    public static IssuedCertificate load(Path keyStore, char[] passphrase, String alias)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream input = Files.newInputStream(keyStore)) {
            store.load(input, passphrase);
        }
        if (!store.isKeyEntry(alias)) {
            throw new KeyStoreEntryException("No key entry with alias " + alias + " in " + keyStore
                    + "; aliases: " + java.util.Collections.list(store.aliases()));
        }
        PrivateKey key = (PrivateKey) store.getKey(alias, passphrase);
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate certificate : store.getCertificateChain(alias)) {
            chain.add((X509Certificate) certificate);
        }
        return new IssuedCertificate(keyStore, alias, key, List.copyOf(chain));
    }

    public X509Certificate endEntity() {
        return chain.get(0);
    }

    /** Returns the rfc822Name (email address) entries of the end-entity certificate's subjectAltName. */
    public List<String> rfc822Names() throws CertificateParsingException {
        Collection<List<?>> names = endEntity().getSubjectAlternativeNames();
        List<String> addresses = new ArrayList<>();
        if (names == null) {
            return addresses;
        }
        for (List<?> name : names) {
            if (((Integer) name.get(0)) == RFC822_NAME) {
                addresses.add((String) name.get(1));
            }
        }
        return addresses;
    }

    /**
     * Validates the chain up to {@code root} with PKIX path validation, at the current time and
     * without revocation checks (the test CA publishes no CRL or OCSP responder).
     *
     * @throws GeneralSecurityException if the chain does not lead to {@code root}
     */
    public void verifyChain(X509Certificate root) throws GeneralSecurityException {
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate certificate : chain) {
            if (!certificate.equals(root)) {
                path.add(certificate);
            }
        }
        CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
    }

    /** The requested alias is missing from the key store, or is not a key entry. */
    public static final class KeyStoreEntryException extends GeneralSecurityException {
        KeyStoreEntryException(String message) {
            super(message);
        }
    }
}
