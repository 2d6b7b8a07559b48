package io.jamesacme.smime.certificate;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * The key algorithm and size of an S/MIME certificate, with the key usages and the CSR
 * signature algorithm that fit it. The configuration value of each type is its
 * {@link #configValue()}, for example {@code ec-p256}.
 */
public enum CertificateKeyType {
    /** ECDSA on NIST P-256 (secp256r1), the default. */
    EC_P256("ec-p256", "EC", "secp256r1", 256, "SHA256withECDSA"),
    /** ECDSA on NIST P-384 (secp384r1). */
    EC_P384("ec-p384", "EC", "secp384r1", 384, "SHA384withECDSA"),
    RSA_2048("rsa-2048", "RSA", null, 2048, "SHA256withRSA"),
    RSA_3072("rsa-3072", "RSA", null, 3072, "SHA256withRSA"),
    RSA_4096("rsa-4096", "RSA", null, 4096, "SHA256withRSA");

    /** The type used when the configuration names none. */
    public static final CertificateKeyType DEFAULT = EC_P256;

    private final String configValue;
    private final String keyAlgorithm;
    private final String curveName;
    private final int keySize;
    private final String signatureAlgorithm;

    CertificateKeyType(String configValue, String keyAlgorithm, String curveName, int keySize,
                       String signatureAlgorithm) {
        this.configValue = configValue;
        this.keyAlgorithm = keyAlgorithm;
        this.curveName = curveName;
        this.keySize = keySize;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /**
     * Returns the type whose configuration value is {@code value}, ignoring case and
     * surrounding spaces.
     *
     * @throws IllegalArgumentException if {@code value} names no type
     */
    public static CertificateKeyType fromConfigValue(String value) {
        if (value != null) {
            String normalized = value.strip().toLowerCase(Locale.ROOT);
            for (CertificateKeyType type : values()) {
                if (type.configValue.equals(normalized)) {
                    return type;
                }
            }
        }
        throw new IllegalArgumentException("Invalid certificate key type '" + value
            + "', expected one of: " + allowedValues());
    }

    /** Returns the configuration values of all types, comma-separated, default first. */
    public static String allowedValues() {
        return Arrays.stream(values())
            .map(CertificateKeyType::configValue)
            .collect(Collectors.joining(", "));
    }

    /** Returns the value that selects this type in the configuration. */
    public String configValue() {
        return configValue;
    }

    /** Returns the JCA key algorithm name, {@code EC} or {@code RSA}. */
    public String keyAlgorithm() {
        return keyAlgorithm;
    }

    /** Returns the key size in bits: the curve's field size for EC, the modulus size for RSA. */
    public int keySize() {
        return keySize;
    }

    /** Returns true for the elliptic curve types. */
    public boolean isEllipticCurve() {
        return curveName != null;
    }

    /** Returns the JCA name of the algorithm that signs the CSR. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /**
     * Returns the key usages an S/MIME certificate of this key type needs: digitalSignature
     * for signing, plus keyEncipherment for RSA key transport or keyAgreement for ECDH, the
     * two ways a CMS sender wraps the content key for this recipient.
     */
    public KeyUsage keyUsage() {
        int encryptionUsage = isEllipticCurve() ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
        return new KeyUsage(KeyUsage.digitalSignature | encryptionUsage);
    }

    /**
     * Generates a new key pair of this type with the JDK's default provider.
     *
     * @throws IllegalStateException if the JDK has no provider for the algorithm or curve
     */
    public KeyPair generateKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(keyAlgorithm);
            if (isEllipticCurve()) {
                generator.initialize(new ECGenParameterSpec(curveName));
            } else {
                generator.initialize(keySize);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Failed to generate a " + configValue
                + " key pair: the JDK does not support it", e);
        }
    }
}
