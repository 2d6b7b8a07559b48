package io.jamesacme.testca;

import java.security.KeyPair;
import java.util.Arrays;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Builds PKCS#10 requests with chosen subject alternative names for finalize tests. */
final class CsrFactory {

    private CsrFactory() {
    }

    static GeneralName[] emails(String... addresses) {
        return Arrays.stream(addresses)
                .map(address -> new GeneralName(GeneralName.rfc822Name, address))
                .toArray(GeneralName[]::new);
    }

    static byte[] csr(KeyPair key, GeneralName... names) throws Exception {
        return csr(key, null, names);
    }

    /** Builds a CSR; {@code keyUsage} null requests no key usage. */
    static byte[] csr(KeyPair key, KeyUsage keyUsage, GeneralName... names) throws Exception {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        if (names.length > 0) {
            extensions.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names));
        }
        if (keyUsage != null) {
            extensions.addExtension(Extension.keyUsage, true, keyUsage);
        }
        JcaPKCS10CertificationRequestBuilder builder =
                new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=csr test"),
                        key.getPublic());
        if (!extensions.isEmpty()) {
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                    extensions.generate());
        }
        String algorithm = key.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA"
                : "SHA256withECDSA";
        return builder.build(new JcaContentSignerBuilder(algorithm).build(key.getPrivate()))
                .getEncoded();
    }
}
