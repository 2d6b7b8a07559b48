package io.jamesacme.smime.certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.MacData;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.bc.BcDefaultDigestProvider;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagFactory;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.bc.BcPKCS12MacCalculatorBuilderProvider;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Pkcs12StoreTest {
    private static final String ADDRESS = "alice@example.com";
    private static final char[] PASSPHRASE = "correct horse ~ battery \"staple\" 42".toCharArray();

    private static KeyPair keyPair;
    private static List<X509Certificate> chain;
    private static byte[] pfxBytes;

    @TempDir
    Path folder;

    @BeforeAll
    static void issue() throws Exception {
        keyPair = CertificateKeyType.EC_P256.generateKeyPair();
        chain = TestCertificates.chain(keyPair, ADDRESS);
        pfxBytes = Pkcs12Store.encode(keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS);
    }

    @Test
    void jdkKeyStoreReadsKeyAndChain() throws Exception {
        Path file = folder.resolve("alice.p12");
        Pkcs12Store.write(file, keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS);

        KeyStore.PrivateKeyEntry entry = Pkcs12Store.read(file, PASSPHRASE, ADDRESS);

        assertThat(entry.getPrivateKey().getEncoded()).isEqualTo(keyPair.getPrivate().getEncoded());
        assertThat(entry.getCertificateChain()).containsExactly(chain.get(0), chain.get(1));
    }

    @Test
    void rsaKeyRoundTrips() throws Exception {
        KeyPair rsaKey = CertificateKeyType.RSA_2048.generateKeyPair();
        List<X509Certificate> rsaChain = TestCertificates.chain(rsaKey, ADDRESS);
        Path file = folder.resolve("rsa.p12");
        Pkcs12Store.write(file, rsaKey.getPrivate(), rsaChain, PASSPHRASE, ADDRESS);

        KeyStore.PrivateKeyEntry entry = Pkcs12Store.read(file, PASSPHRASE, ADDRESS);

        assertThat(entry.getPrivateKey().getEncoded()).isEqualTo(rsaKey.getPrivate().getEncoded());
        assertThat(entry.getCertificate()).isEqualTo(rsaChain.get(0));
    }

    @Test
    void wrongPassphraseFailsToOpen() throws Exception {
        Path file = folder.resolve("alice.p12");
        Files.write(file, pfxBytes);

        assertThatThrownBy(() -> Pkcs12Store.read(file, "wrong".toCharArray(), ADDRESS))
            .isInstanceOf(IOException.class);
    }

    @Test
    void unknownAliasIsReported() throws Exception {
        Path file = folder.resolve("alice.p12");
        Files.write(file, pfxBytes);

        assertThatThrownBy(() -> Pkcs12Store.read(file, PASSPHRASE, "bob@example.com"))
            .isInstanceOf(KeyStoreException.class)
            .hasMessageContaining("bob@example.com")
            .hasMessageContaining(ADDRESS);
    }

    @Test
    void macIsHmacSha256AndChecksPassphrase() throws Exception {
        PKCS12PfxPdu pfx = new PKCS12PfxPdu(pfxBytes);

        assertThat(pfx.hasMac()).isTrue();
        assertThat(pfx.getMacAlgorithmID().getAlgorithm()).isEqualTo(NISTObjectIdentifiers.id_sha256);
        MacData macData = pfx.toASN1Structure().getMacData();
        assertThat(macData.getIterationCount().intValue()).isEqualTo(Pkcs12Store.MAC_ITERATIONS);
        assertThat(macData.getIterationCount().intValue()).isGreaterThanOrEqualTo(10_000);

        BcPKCS12MacCalculatorBuilderProvider macs =
            new BcPKCS12MacCalculatorBuilderProvider(BcDefaultDigestProvider.INSTANCE);
        assertThat(pfx.isMacValid(macs, PASSPHRASE)).isTrue();
        assertThat(pfx.isMacValid(macs, "wrong".toCharArray())).isFalse();
    }

    @Test
    void certificatesAreEncryptedWithPbes2Aes256() throws Exception {
        ContentInfo[] contents = new PKCS12PfxPdu(pfxBytes).getContentInfos();
        List<ContentInfo> encrypted = Arrays.stream(contents)
            .filter(content -> content.getContentType().equals(PKCSObjectIdentifiers.encryptedData))
            .toList();

        assertThat(encrypted).hasSize(1);
        assertPbes2(EncryptedData.getInstance(encrypted.get(0).getContent()).getEncryptionAlgorithm());
    }

    @Test
    void keyBagIsShroudedWithPbes2Aes256() throws Exception {
        List<PKCS12SafeBag> keyBags = new ArrayList<>();
        for (PKCS12SafeBag bag : decryptedBags()) {
            if (bag.getType().equals(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag)) {
                keyBags.add(bag);
            }
        }

        assertThat(keyBags).hasSize(1);
        PKCS8EncryptedPrivateKeyInfo keyInfo = (PKCS8EncryptedPrivateKeyInfo) keyBags.get(0).getBagValue();
        assertPbes2(keyInfo.getEncryptionAlgorithm());
        assertThat(keyInfo.decryptPrivateKeyInfo(decryptor()).getEncoded())
            .isEqualTo(keyPair.getPrivate().getEncoded());
    }

    @Test
    void everyBagIsKeyOrCertificate() throws Exception {
        List<ASN1Encodable> types = new ArrayList<>();
        for (PKCS12SafeBag bag : decryptedBags()) {
            types.add(bag.getType());
        }

        assertThat(types).containsExactlyInAnyOrder(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag,
            PKCSObjectIdentifiers.certBag, PKCSObjectIdentifiers.certBag);
    }

    @Test
    void keyAndLeafShareBagAttributes() throws Exception {
        PKCS12SafeBag keyBag = null;
        PKCS12SafeBag leafBag = null;
        PKCS12SafeBag caBag = null;
        for (PKCS12SafeBag bag : decryptedBags()) {
            if (bag.getType().equals(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag)) {
                keyBag = bag;
            } else if (new X509CertificateHolder(chain.get(0).getEncoded()).equals(bag.getBagValue())) {
                leafBag = bag;
            } else {
                caBag = bag;
            }
        }

        assertThat(keyBag).isNotNull();
        assertThat(leafBag).isNotNull();
        assertThat(caBag).isNotNull();
        assertThat(attribute(keyBag, PKCSObjectIdentifiers.pkcs_9_at_friendlyName))
            .isEqualTo(new DERBMPString(ADDRESS));
        assertThat(attribute(leafBag, PKCSObjectIdentifiers.pkcs_9_at_friendlyName))
            .isEqualTo(new DERBMPString(ADDRESS));
        ASN1Encodable keyId = attribute(keyBag, PKCSObjectIdentifiers.pkcs_9_at_localKeyId);
        assertThat(keyId).isInstanceOf(ASN1OctetString.class);
        assertThat(((ASN1OctetString) keyId).getOctets()).isNotEmpty();
        assertThat(attribute(leafBag, PKCSObjectIdentifiers.pkcs_9_at_localKeyId)).isEqualTo(keyId);
        assertThat(caBag.getAttributes()).isNullOrEmpty();
    }

    @Test
    void saltIsRandomPerFile() throws Exception {
        byte[] second = Pkcs12Store.encode(keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS);

        assertThat(pbkdf2Salt(second)).isNotEqualTo(pbkdf2Salt(pfxBytes));
    }

    @Test
    void fileHasOwnerOnlyMode() throws Exception {
        assumeThat(Files.getFileStore(folder).supportsFileAttributeView("posix")).isTrue();
        Path file = folder.resolve("alice.p12");

        Pkcs12Store.write(file, keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
            .isEqualTo("rw-------");
    }

    @Test
    void existingFileIsReplacedWithoutLeftovers() throws Exception {
        assumeThat(Files.getFileStore(folder).supportsFileAttributeView("posix")).isTrue();
        Path file = folder.resolve("alice.p12");
        Files.writeString(file, "old content");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        Pkcs12Store.write(file, keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
            .isEqualTo("rw-------");
        assertThat(Pkcs12Store.read(file, PASSPHRASE, ADDRESS).getCertificate()).isEqualTo(chain.get(0));
        try (var entries = Files.list(folder)) {
            assertThat(entries).containsExactly(file);
        }
    }

    @Test
    void missingFolderFailsWithoutLeftovers() {
        Path file = folder.resolve("missing").resolve("alice.p12");

        assertThatThrownBy(() -> Pkcs12Store.write(file, keyPair.getPrivate(), chain, PASSPHRASE, ADDRESS))
            .isInstanceOf(NoSuchFileException.class);
        assertThat(folder.resolve("missing")).doesNotExist();
    }

    @Test
    void keyOfOtherCertificateIsRejected() throws Exception {
        KeyPair otherKey = CertificateKeyType.EC_P256.generateKeyPair();

        assertThatThrownBy(() -> Pkcs12Store.encode(otherKey.getPrivate(), chain, PASSPHRASE, ADDRESS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("does not belong");
    }

    @Test
    void keyOfOtherAlgorithmIsRejected() {
        KeyPair rsaKey = CertificateKeyType.RSA_2048.generateKeyPair();

        assertThatThrownBy(() -> Pkcs12Store.encode(rsaKey.getPrivate(), chain, PASSPHRASE, ADDRESS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("RSA");
    }

    @Test
    void emptyInputsAreRejected() {
        assertThatThrownBy(() -> Pkcs12Store.encode(keyPair.getPrivate(), List.of(), PASSPHRASE, ADDRESS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("chain is empty");
        assertThatThrownBy(() -> Pkcs12Store.encode(keyPair.getPrivate(), chain, new char[0], ADDRESS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("passphrase is empty");
        assertThatThrownBy(() -> Pkcs12Store.encode(keyPair.getPrivate(), chain, PASSPHRASE, " "))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("alias is empty");
    }

    @Test
    void nonAsciiPassphraseIsRejected() {
        char[] passphrase = "pässwörd".toCharArray();

        assertThatThrownBy(() -> Pkcs12Store.encode(keyPair.getPrivate(), chain, passphrase, ADDRESS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("printable ASCII");
    }

    private static void assertPbes2(AlgorithmIdentifier algorithm) {
        assertThat(algorithm.getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_PBES2);
        PBES2Parameters parameters = PBES2Parameters.getInstance(algorithm.getParameters());
        assertThat(parameters.getKeyDerivationFunc().getAlgorithm())
            .isEqualTo(PKCSObjectIdentifiers.id_PBKDF2);
        PBKDF2Params kdf = PBKDF2Params.getInstance(parameters.getKeyDerivationFunc().getParameters());
        assertThat(kdf.getPrf().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_hmacWithSHA256);
        assertThat(kdf.getIterationCount().intValue()).isEqualTo(Pkcs12Store.PBKDF2_ITERATIONS);
        assertThat(kdf.getIterationCount().intValue()).isGreaterThanOrEqualTo(10_000);
        assertThat(kdf.getSalt()).hasSize(16);
        assertThat(parameters.getEncryptionScheme().getAlgorithm())
            .isEqualTo(NISTObjectIdentifiers.id_aes256_CBC);
        assertThat(ASN1OctetString.getInstance(parameters.getEncryptionScheme().getParameters()).getOctets())
            .hasSize(16);
    }

    private static byte[] pbkdf2Salt(byte[] pfx) throws Exception {
        for (ContentInfo content : new PKCS12PfxPdu(pfx).getContentInfos()) {
            if (content.getContentType().equals(PKCSObjectIdentifiers.encryptedData)) {
                AlgorithmIdentifier algorithm = EncryptedData.getInstance(content.getContent())
                    .getEncryptionAlgorithm();
                PBES2Parameters parameters = PBES2Parameters.getInstance(algorithm.getParameters());
                return PBKDF2Params.getInstance(parameters.getKeyDerivationFunc().getParameters()).getSalt();
            }
        }
        throw new AssertionError("The PFX has no encryptedData content");
    }

    private static List<PKCS12SafeBag> decryptedBags() throws Exception {
        List<PKCS12SafeBag> bags = new ArrayList<>();
        for (ContentInfo content : new PKCS12PfxPdu(pfxBytes).getContentInfos()) {
            PKCS12SafeBagFactory factory = content.getContentType().equals(PKCSObjectIdentifiers.encryptedData)
                ? new PKCS12SafeBagFactory(content, decryptor())
                : new PKCS12SafeBagFactory(content);
            bags.addAll(Arrays.asList(factory.getSafeBags()));
        }
        return bags;
    }

    private static InputDecryptorProvider decryptor() {
        return new JcePKCSPBEInputDecryptorProviderBuilder()
            .setProvider(new BouncyCastleProvider())
            .build(PASSPHRASE);
    }

    private static ASN1Encodable attribute(PKCS12SafeBag bag, ASN1ObjectIdentifier type) {
        for (Attribute attribute : bag.getAttributes()) {
            if (attribute.getAttrType().equals(type)) {
                assertThat(attribute.getAttrValues().size()).isEqualTo(1);
                return attribute.getAttrValues().getObjectAt(0);
            }
        }
        throw new AssertionError("The bag has no attribute " + type);
    }
}
