package io.jamesacme.testca;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes the PEM files of the state directory: keys owner-only, certificates and
 * other public data world-readable. Every write goes to a temporary file that is then moved
 * into place, so a crash never leaves half a file.
 */
final class PemFiles {

    private static final Logger LOG = LoggerFactory.getLogger(PemFiles.class);

    private PemFiles() {
    }

    static String toPem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " contains no unencrypted private key");
        }
    }

    /** Reads an RSA private key and derives its public key from the CRT parameters. */
    static KeyPair readRsaKeyPair(Path file) throws IOException, GeneralSecurityException {
        PrivateKey privateKey = readPrivateKey(file);
        if (!(privateKey instanceof RSAPrivateCrtKey rsa)) {
            throw new IOException(file + " contains a " + privateKey.getAlgorithm()
                    + " key; an RSA key is expected");
        }
        RSAPublicKeySpec publicSpec =
                new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent());
        return new KeyPair(KeyFactory.getInstance("RSA").generatePublic(publicSpec), rsa);
    }

    static X509Certificate readCertificate(Path file)
            throws IOException, GeneralSecurityException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            if (object instanceof X509CertificateHolder holder) {
                return CertificateSupport.toX509(holder);
            }
            throw new IOException(file + " contains no PEM certificate");
        }
    }

    /** Writes a private key readable by the owner only. */
    static void writeOwnerOnly(Path file, String text) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(),
                ".tmp");
        try {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            LOG.warn("The file system of {} has no POSIX permissions; {} is readable with the "
                    + "directory's default permissions", file.getParent(), file.getFileName());
        }
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.US_ASCII)) {
            writer.write(text);
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    static void writeWorldReadable(Path file, byte[] content) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(),
                ".tmp");
        Files.write(temporary, content);
        makeWorldReadable(temporary);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Sets rw-r--r--, since temporary files start owner-only and these hold public data. */
    static void makeWorldReadable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // Non-POSIX file systems keep their default permissions.
        }
    }
}
