package io.jamesacme.smime.certificate;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.util.PBKDF2Config;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.bc.BcPKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes and reads the PKCS#12 file that hands a mailbox its S/MIME key and certificate chain.
 *
 * <p>The shrouded key bag and the certificates are each encrypted with PBES2 (PBKDF2 with
 * HMAC-SHA256, a random 16-byte salt and {@value #PBKDF2_ITERATIONS} iterations, then
 * AES-256-CBC). The MAC is HMAC-SHA256 over a key from the PKCS#12 key derivation with
 * {@value #MAC_ITERATIONS} iterations. JDK 17 and OpenSSL 3.0 read such files, but a tool that
 * knows only the legacy PKCS#12 schemes (SHA-1 with RC2, 3DES or RC4) cannot.
 */
public final class Pkcs12Store {
    private static final Logger LOGGER = LoggerFactory.getLogger(Pkcs12Store.class);

    /**
     * PBKDF2 iterations for the key and certificate encryption: ten times the JDK 17 default
     * of 10,000 ({@code keystore.pkcs12.keyPbeIterationCount} in {@code java.security}).
     */
    public static final int PBKDF2_ITERATIONS = 100_000;

    /** Iterations of the PKCS#12 key derivation for the MAC key, the same count. */
    public static final int MAC_ITERATIONS = 100_000;

    static final int SALT_LENGTH = 16;

    private static final Set<PosixFilePermission> OWNER_READ_WRITE =
        PosixFilePermissions.fromString("rw-------");

    /**
     * A private instance, never registered with {@code Security}, because the JDK's AES
     * cipher under the AES-256-CBC object identifier does no padding.
     */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private Pkcs12Store() {
    }

    /**
     * Writes the key and chain to {@code file}, replacing the file atomically. The file is
     * first written to a temporary file in the same folder (mode 0600 where the file system
     * supports POSIX permissions), synced to disk, then moved over {@code file}.
     *
     * @param chain the certificate chain, leaf first; the leaf must belong to {@code key}
     * @param passphrase the passphrase for both encryption and MAC, not empty and printable
     *     ASCII only
     * @param alias the friendlyName of the key and leaf, which JDK key stores use as alias
     * @throws IllegalArgumentException if the chain is empty, the leaf does not match the key,
     *     the alias is empty, or the passphrase is empty or not printable ASCII
     * @throws IllegalStateException if Bouncy Castle or the JDK fails to build the PFX
     * @throws IOException if the file cannot be written; {@code file} is then left unchanged
     */
    public static void write(Path file, PrivateKey key, List<X509Certificate> chain,
                             char[] passphrase, String alias) throws IOException {
        byte[] encoded = encode(key, chain, passphrase, alias);
        writeAtomically(file, encoded);
    }

    /**
     * Builds the DER-encoded PFX, with the same checks and algorithms as
     * {@link #write(Path, PrivateKey, List, char[], String)}.
     */
    public static byte[] encode(PrivateKey key, List<X509Certificate> chain, char[] passphrase,
                                String alias) {
        if (chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("The certificate chain is empty: at least the leaf"
                + " certificate is required");
        }
        if (passphrase == null || passphrase.length == 0) {
            throw new IllegalArgumentException("The PKCS#12 passphrase is empty");
        }
        for (char c : passphrase) {
            // JDK 17 derives PBES2 keys only from ASCII passwords ("Password is not ASCII").
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("The PKCS#12 passphrase contains a character"
                    + " outside printable ASCII, which the JDK cannot use for PBES2; use only"
                    + " characters from space (0x20) to '~' (0x7e)");
            }
        }
        if (alias == null || alias.isBlank()) {
            throw new IllegalArgumentException("The PKCS#12 alias is empty");
        }
        X509Certificate leaf = chain.get(0);

        try {
            requireMatchingKey(key, leaf);
            DEROctetString localKeyId = new DEROctetString(new JcaX509ExtensionUtils()
                .createSubjectKeyIdentifier(leaf.getPublicKey()).getKeyIdentifier());
            DERBMPString friendlyName = new DERBMPString(alias);

            List<PKCS12SafeBag> certificateBags = new ArrayList<>();
            for (int i = 0; i < chain.size(); i++) {
                PKCS12SafeBagBuilder bag = new JcaPKCS12SafeBagBuilder(chain.get(i));
                if (i == 0) {
                    bag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, friendlyName);
                    bag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);
                }
                certificateBags.add(bag.build());
            }

            PKCS12SafeBag keyBag = new JcaPKCS12SafeBagBuilder(key, pbes2Encryptor(passphrase))
                .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, friendlyName)
                .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId)
                .build();

            PKCS12PfxPdu pfx = new PKCS12PfxPduBuilder()
                .addEncryptedData(pbes2Encryptor(passphrase),
                    certificateBags.toArray(new PKCS12SafeBag[0]))
                .addData(keyBag)
                .build(macBuilder(), passphrase);
            return pfx.getEncoded("DER");
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException
                 | IOException e) {
            throw new IllegalStateException("Failed to build the PKCS#12 file for alias '"
                + alias + "': " + e.getMessage(), e);
        }
    }

    /**
     * Reads the key entry {@code alias} with the JDK's PKCS#12 key store.
     *
     * @throws IOException if the file cannot be read or the passphrase is wrong, because the
     *     MAC check then fails
     * @throws KeyStoreException if the file has no key entry named {@code alias}
     * @throws GeneralSecurityException if the file is not a readable PKCS#12 key store
     */
    public static KeyStore.PrivateKeyEntry read(Path file, char[] passphrase, String alias)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, passphrase);
        }
        KeyStore.Entry entry = store.getEntry(alias, new KeyStore.PasswordProtection(passphrase));
        if (!(entry instanceof KeyStore.PrivateKeyEntry)) {
            throw new KeyStoreException("No private key entry with alias '" + alias + "' in "
                + file + "; its aliases are: " + String.join(", ", Collections.list(store.aliases())));
        }
        return (KeyStore.PrivateKeyEntry) entry;
    }

    private static OutputEncryptor pbes2Encryptor(char[] passphrase)
            throws OperatorCreationException {
        PBKDF2Config kdf = new PBKDF2Config.Builder()
            .withPRF(PBKDF2Config.PRF_SHA256)
            .withIterationCount(PBKDF2_ITERATIONS)
            .withSaltLength(SALT_LENGTH)
            .build();
        return new JcePKCSPBEOutputEncryptorBuilder(kdf, NISTObjectIdentifiers.id_aes256_CBC)
            .setProvider(BOUNCY_CASTLE)
            .build(passphrase);
    }

    private static BcPKCS12MacCalculatorBuilder macBuilder() {
        AlgorithmIdentifier sha256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256,
            DERNull.INSTANCE);
        return new BcPKCS12MacCalculatorBuilder(new SHA256Digest(), sha256)
            .setIterationCount(MAC_ITERATIONS);
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Path target = file.toAbsolutePath();
        Path folder = target.getParent();
        boolean posix = Files.getFileStore(folder).supportsFileAttributeView("posix");
        FileAttribute<?>[] attributes = posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE)}
            : new FileAttribute<?>[0];

        Path temporary = Files.createTempFile(folder, "." + target.getFileName(), ".tmp",
            attributes);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        if (posix) {
            syncFolder(folder);
        }
    }

    /**
     * Makes the rename durable, because Linux allows fsync on a folder opened for reading.
     * A failure is logged and not raised, since the new file is already in place.
     */
    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOGGER.warn("Failed to sync folder {} after replacing a PKCS#12 file: {}", folder,
                e.toString());
        }
    }

    /**
     * Signs a random challenge with {@code key} and verifies it with the leaf's public key,
     * so that a key and certificate from different orders are never stored together.
     */
    private static void requireMatchingKey(PrivateKey key, X509Certificate leaf)
            throws GeneralSecurityException {
        PublicKey publicKey = leaf.getPublicKey();
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            throw new IllegalArgumentException("The private key is " + key.getAlgorithm()
                + " but the leaf certificate " + leaf.getSubjectX500Principal() + " has a "
                + publicKey.getAlgorithm() + " key");
        }
        String algorithm = "RSA".equals(key.getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);

        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();

        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(challenge);
        if (!verifier.verify(signature)) {
            throw new IllegalArgumentException("The private key does not belong to the leaf"
                + " certificate " + leaf.getSubjectX500Principal());
        }
    }
}
