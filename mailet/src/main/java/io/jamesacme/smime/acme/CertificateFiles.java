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
 * {@code <address>.chain.pem}, with the address written as {@link #fileName(String)} returns. Both are replaced atomically, so writing them again after a
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
        return directory.resolve(fileName(address) + ".p12");
    }

    public Path chainFile(String address) {
        return directory.resolve(fileName(address) + ".chain.pem");
    }

    /**
     * Returns the address as a file name: letters, digits and {@code @ . _ + -} stay, and every
     * other byte of its UTF-8 form, such as the {@code /} that a local part may contain, becomes
     * {@code %XX}. A leading dot is encoded too, so no name is hidden or a temporary file's.
     */
    static String fileName(String address) {
        StringBuilder name = new StringBuilder();
        byte[] bytes = address.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int value = bytes[i] & 0xff;
            boolean safe = (value >= 'a' && value <= 'z') || (value >= 'A' && value <= 'Z')
                || (value >= '0' && value <= '9') || "@._+-".indexOf(value) >= 0;
            if (safe && !(i == 0 && value == '.')) {
                name.append((char) value);
            } else {
                name.append('%').append(String.format("%02X", value));
            }
        }
        return name.toString();
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
