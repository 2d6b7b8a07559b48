package io.jamesacme.smime.acme;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import io.jamesacme.smime.certificate.Pkcs12Store;
import io.jamesacme.smime.config.PassphraseSource;

/**
 * The certificate files of each address in {@code <storage>/certificates}: the PKCS#12 key
 * store {@code <address>.p12} with the key and chain, and the chain alone in
 * {@code <address>.chain.pem}. Both are replaced atomically, so writing them again after a
 * crash is safe.
 */
public final class CertificateFiles {
    private final Path directory;
    private final PassphraseSource passphraseSource;

    public CertificateFiles(Path storageDirectory, PassphraseSource passphraseSource) {
        this.directory = storageDirectory.resolve("certificates");
        this.passphraseSource = passphraseSource;
    }

    public Path keyStore(String address) {
        return directory.resolve(address + ".p12");
    }

    public Path chainFile(String address) {
        return directory.resolve(address + ".chain.pem");
    }

    void write(String address, PrivateKey key, List<X509Certificate> chain, String chainPem)
            throws IOException {
        Files.createDirectories(directory);
        char[] passphrase = passphraseSource.read();
        try {
            Pkcs12Store.write(keyStore(address), key, chain, passphrase, address);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        Path temporary = Files.createTempFile(directory, ".chain-", ".tmp");
        try {
            Files.writeString(temporary, chainPem, StandardCharsets.US_ASCII);
            Files.move(temporary, chainFile(address), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
