package io.jamesacme.smime.acme;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Optional;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jamesacme.smime.config.AcmeSmimeConfiguration;

/**
 * Creates the ACME account once and logs in with it afterwards. The account key lives in
 * {@code <storage>/account/account-key.pem} (mode 0600) and the account URL beside it; both
 * are written before they are used, so a restart reuses the same account.
 */
public class AccountManager {
    private static final Logger LOGGER = LoggerFactory.getLogger(AccountManager.class);

    private final AcmeSmimeConfiguration configuration;
    private final Path keyFile;
    private final Path urlFile;
    private Login login;
    private KeyPair keyPair;

    public AccountManager(AcmeSmimeConfiguration configuration) {
        this.configuration = configuration;
        Path directory = configuration.storageDirectory().resolve("account");
        this.keyFile = directory.resolve("account-key.pem");
        this.urlFile = directory.resolve("account-url");
    }

    /** Returns the login, creating the session and, on first use, the account. */
    public synchronized Login login() throws AcmeException {
        if (login == null) {
            login = ExtensionClassLoader.call(this::createLogin);
        }
        return login;
    }

    /** Returns the account key pair, creating and storing it on first use. */
    public synchronized KeyPair keyPair() {
        if (keyPair != null) {
            return keyPair;
        }
        try {
            if (Files.exists(keyFile)) {
                keyPair = readKeyPair(keyFile);
                return keyPair;
            }
            KeyPair created = newAccountKeyPair();
            writeSecret(keyFile, writer -> writeKeyPair(created, writer));
            LOGGER.info("Created a new ACME account key in {}", keyFile);
            keyPair = created;
            return keyPair;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the ACME account key " + keyFile, e);
        }
    }

    /**
     * Writes the private key as PKCS#8 and the public key beside it. The JDK's PKCS#8 encoding
     * of an EC key omits the public point, so it is stored explicitly.
     */
    private static void writeKeyPair(KeyPair pair, Writer writer) throws IOException {
        try (JcaPEMWriter pem = new JcaPEMWriter(writer)) {
            pem.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
            pem.writeObject(pair.getPublic());
        }
    }

    private static KeyPair readKeyPair(Path file) throws IOException {
        PrivateKeyInfo privateKey = null;
        SubjectPublicKeyInfo publicKey = null;
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof PrivateKeyInfo info) {
                    privateKey = info;
                } else if (item instanceof SubjectPublicKeyInfo info) {
                    publicKey = info;
                }
            }
        }
        if (privateKey == null || publicKey == null) {
            throw new IOException("the file lacks a PRIVATE KEY or a PUBLIC KEY block");
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        return new KeyPair(converter.getPublicKey(publicKey), converter.getPrivateKey(privateKey));
    }

    /** Generates an EC P-256 key with the JDK, which needs no registered security provider. */
    private static KeyPair newAccountKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("The JDK cannot generate an EC P-256 key", e);
        }
    }

    private Login createLogin() throws AcmeException {
        Session session = configuration.trustStore()
            .map(trustStore -> new Session(configuration.directory(),
                new TrustStoreAcmeProvider(trustStore)))
            .orElseGet(() -> new Session(configuration.directory()));
        session.networkSettings().setTimeout(configuration.acmeTimeout());
        KeyPair accountKey = keyPair();

        Optional<URL> storedUrl = readAccountUrl();
        if (storedUrl.isPresent()) {
            return session.login(storedUrl.get(), accountKey);
        }

        AccountBuilder builder = new AccountBuilder().useKeyPair(accountKey);
        configuration.contact().ifPresent(builder::addContact);
        if (configuration.termsOfServiceAgreed()) {
            builder.agreeToTermsOfService();
        }
        Account account = builder.create(session);
        writeAccountUrl(account.getLocation());
        LOGGER.info("Created ACME account {} at {}", account.getLocation(), configuration.directory());
        return session.login(account.getLocation(), accountKey);
    }

    private Optional<URL> readAccountUrl() {
        if (!Files.exists(urlFile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new URL(Files.readString(urlFile, StandardCharsets.UTF_8).strip()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the ACME account URL " + urlFile, e);
        }
    }

    private void writeAccountUrl(URL url) {
        try {
            writeSecret(urlFile, writer -> writer.write(url.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the ACME account URL " + urlFile, e);
        }
    }

    private static void writeSecret(Path file, WriterAction action) throws IOException {
        Files.createDirectories(file.getParent());
        Path temporary = Files.createTempFile(file.getParent(), ".account-", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.US_ASCII)) {
            action.write(writer);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    }

    @FunctionalInterface
    private interface WriterAction {
        void write(Writer writer) throws IOException;
    }
}
