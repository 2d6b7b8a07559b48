package io.jamesacme.smime.certificate;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * Converts key pairs to and from the encodings the state store keeps. Bouncy Castle parses
 * them, and the JDK's key factories build the keys, so no security provider is registered.
 * EC and RSA keys are supported.
 *
 * <p>The PEM form holds a PKCS#8 {@code PRIVATE KEY} block followed by a {@code PUBLIC KEY}
 * block. The public key is stored explicitly because the JDK's PKCS#8 encoding of an EC key
 * omits the public point.
 */
public final class KeyPairEncoding {

    private KeyPairEncoding() {
    }

    /** Returns the unencrypted PEM form of {@code pair}. */
    public static byte[] toPem(KeyPair pair) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
            pem.writeObject(pair.getPublic());
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to encode a " + pair.getPrivate().getAlgorithm()
                + " key pair as PEM", e);
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Parses the PEM form written by {@link #toPem}.
     *
     * @throws IllegalArgumentException when a block is missing or cannot be read; the message
     *     never quotes the key
     */
    public static KeyPair fromPem(byte[] pem) {
        PrivateKeyInfo privateKey = null;
        SubjectPublicKeyInfo publicKey = null;
        String text = new String(pem, StandardCharsets.US_ASCII);
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof PrivateKeyInfo info) {
                    privateKey = info;
                } else if (item instanceof SubjectPublicKeyInfo info) {
                    publicKey = info;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("The key pair PEM cannot be parsed", e);
        }
        if (privateKey == null || publicKey == null) {
            throw new IllegalArgumentException("The key pair PEM lacks a PRIVATE KEY or a PUBLIC KEY block");
        }
        return new KeyPair(publicKey(publicKey), privateKey(privateKey));
    }

    /** Parses a DER-encoded PKCS#8 private key, such as {@link PrivateKey#getEncoded()} returns. */
    public static PrivateKey privateKeyFromPkcs8(byte[] der) {
        try {
            return privateKey(PrivateKeyInfo.getInstance(der));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("The PKCS#8 private key cannot be parsed", e);
        }
    }

    /** Parses a DER-encoded X.509 SubjectPublicKeyInfo, such as {@link PublicKey#getEncoded()} returns. */
    public static PublicKey publicKeyFromX509(byte[] der) {
        try {
            return publicKey(SubjectPublicKeyInfo.getInstance(der));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("The X.509 public key cannot be parsed", e);
        }
    }

    private static PrivateKey privateKey(PrivateKeyInfo info) {
        try {
            return keyFactory(info.getPrivateKeyAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The private key of algorithm "
                + info.getPrivateKeyAlgorithm().getAlgorithm() + " cannot be read", e);
        }
    }

    private static PublicKey publicKey(SubjectPublicKeyInfo info) {
        try {
            return keyFactory(info.getAlgorithm()).generatePublic(new X509EncodedKeySpec(info.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The public key of algorithm "
                + info.getAlgorithm().getAlgorithm() + " cannot be read", e);
        }
    }

    /**
     * Returns the JDK's key factory for the algorithm. Bouncy Castle's own converter would name
     * EC keys "ECDSA" when James has registered its provider, and the CSR and PKCS#12 code
     * expects the JDK's "EC".
     */
    private static KeyFactory keyFactory(AlgorithmIdentifier algorithm) throws GeneralSecurityException {
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())) {
            return KeyFactory.getInstance("EC");
        }
        if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm.getAlgorithm())) {
            return KeyFactory.getInstance("RSA");
        }
        throw new NoSuchAlgorithmException("unsupported key algorithm " + algorithm.getAlgorithm()
            + ", expected EC or RSA");
    }
}
