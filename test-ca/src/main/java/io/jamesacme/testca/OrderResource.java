package io.jamesacme.testca;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.jose4j.base64url.Base64Url;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** newOrder, order, finalize and certificate resources (RFC 8555 sections 7.4 and 7.4.2). */
final class OrderResource {

    static final int MAX_IDENTIFIERS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(OrderResource.class);

    private final AcmeRegistry registry;
    private final JwsVerifier verifier;
    private final SmimeCertificateIssuer issuer;

    OrderResource(AcmeRegistry registry, JwsVerifier verifier, SmimeCertificateIssuer issuer) {
        this.registry = registry;
        this.verifier = verifier;
        this.issuer = issuer;
    }

    AcmeResponse newOrder(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        Account account = request.requireAccount();
        Map<String, Object> payload = request.payloadJson();
        if (payload.containsKey("notBefore") || payload.containsKey("notAfter")) {
            throw AcmeProblem.malformed("notBefore and notAfter are not supported; the "
                    + "certificate validity is set by the CA's configuration");
        }
        List<String> addresses = emailIdentifiers(payload.get("identifiers"));
        Order order = registry.createOrder(account, addresses);
        LOG.info("Created order {} for {} (account {})", order.url(), addresses, account.url());
        return AcmeResponse.json(201, order.toJson()).withLocation(order.url());
    }

    AcmeResponse order(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        Order order = ownOrder(request, requestUrl);
        order.expireIfDue(Instant.now());
        return AcmeResponse.json(200, order.toJson());
    }

    AcmeResponse finalizeOrder(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        String orderUrl = requestUrl.substring(0, requestUrl.length() - "/finalize".length());
        Order order = ownOrder(request, orderUrl);
        Object csrText = request.payloadJson().get("csr");
        if (!(csrText instanceof String encoded) || encoded.isEmpty()) {
            throw AcmeProblem.malformed("The finalize payload needs a 'csr' member with the "
                    + "base64url-encoded DER CSR");
        }
        byte[] der;
        try {
            der = Base64Url.decode(encoded);
        } catch (RuntimeException e) {
            throw AcmeProblem.malformed("'csr' is not valid base64url: " + e.getMessage());
        }
        synchronized (order) {
            order.expireIfDue(Instant.now());
            if (order.status() != AcmeStatus.READY) {
                throw AcmeProblem.of("orderNotReady", 403, "The order " + order.url() + " is "
                        + order.status().json() + "; it can be finalized only when ready");
            }
            PKCS10CertificationRequest csr =
                    CsrValidator.validate(der, new HashSet<>(order.addresses()));
            order.setStatus(AcmeStatus.PROCESSING);
            issue(order, csr);
        }
        return AcmeResponse.json(200, order.toJson()).withLocation(order.url());
    }

    AcmeResponse certificate(String requestUrl, String body) throws AcmeProblem {
        SignedRequest request = verifier.verify(body, requestUrl, false);
        Account account = request.requireAccount();
        AcmeRegistry.IssuedCertificate certificate = registry.certificateByUrl(requestUrl)
                .orElseThrow(() -> AcmeProblem.notFound("No certificate at " + requestUrl));
        if (certificate.account() != account) {
            throw AcmeProblem.unauthorized("The certificate " + requestUrl
                    + " belongs to another account");
        }
        if (!request.isPostAsGet()) {
            throw AcmeProblem.malformed("Download the certificate with POST-as-GET "
                    + "(an empty payload)");
        }
        return AcmeResponse.pemChain(certificate.pemChain());
    }

    private void issue(Order order, PKCS10CertificationRequest csr) throws AcmeProblem {
        List<X509Certificate> chain;
        try {
            chain = issuer.issue(new JcaPKCS10CertificationRequest(csr), order.addresses());
        } catch (AcmeProblem problem) {
            order.setStatus(AcmeStatus.READY);
            throw problem;
        } catch (GeneralSecurityException | IOException e) {
            LOG.error("Issuing the certificate of order {} for {} failed", order.url(),
                    order.addresses(), e);
            AcmeProblem problem = AcmeProblem.of("serverInternal", 500,
                    "Issuing the certificate failed: " + e.getMessage());
            order.fail(problem);
            throw problem;
        }
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            try {
                pem.append(PemFiles.toPem(certificate));
            } catch (IOException e) {
                throw new IllegalStateException("PEM encoding to memory failed", e);
            }
        }
        String certificateUrl =
                registry.storeCertificate(order.account(), chain.get(0), pem.toString());
        order.completeWith(certificateUrl);
        LOG.info("Issued certificate {} (serial {}) for order {} and {}", certificateUrl,
                chain.get(0).getSerialNumber().toString(16), order.url(), order.addresses());
    }

    private Order ownOrder(SignedRequest request, String orderUrl) throws AcmeProblem {
        Account account = request.requireAccount();
        Order order = registry.orderByUrl(orderUrl)
                .orElseThrow(() -> AcmeProblem.notFound("No order at " + orderUrl));
        if (order.account() != account) {
            throw AcmeProblem.unauthorized("The order " + orderUrl + " belongs to another "
                    + "account");
        }
        return order;
    }

    /**
     * Checks the newOrder identifiers: type email only, each a plain addr-spec, duplicates
     * (compared case-insensitively) removed.
     */
    static List<String> emailIdentifiers(Object value) throws AcmeProblem {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw AcmeProblem.malformed("'identifiers' must be a non-empty array");
        }
        Map<String, String> addresses = new LinkedHashMap<>();
        for (Object entry : list) {
            if (!(entry instanceof Map<?, ?> identifier)
                    || !(identifier.get("type") instanceof String type)
                    || !(identifier.get("value") instanceof String address)) {
                throw AcmeProblem.malformed("Each identifier must be an object with string "
                        + "members 'type' and 'value'");
            }
            if (!"email".equals(type)) {
                throw AcmeProblem.forIdentifier("unsupportedIdentifier", "Identifier type '"
                        + type + "' is not supported; this CA issues only for type 'email'",
                        type, address);
            }
            if (!isPlainAddress(address)) {
                throw AcmeProblem.forIdentifier("rejectedIdentifier", "'" + address
                        + "' is not a valid email address (addr-spec without a display name)",
                        type, address);
            }
            addresses.putIfAbsent(AcmeRegistry.normalize(address), address);
        }
        if (addresses.size() > MAX_IDENTIFIERS) {
            throw AcmeProblem.of("rejectedIdentifier", 400, "An order may contain at most "
                    + MAX_IDENTIFIERS + " email identifiers, not " + addresses.size());
        }
        return new ArrayList<>(addresses.values());
    }

    private static boolean isPlainAddress(String value) {
        try {
            InternetAddress parsed = new InternetAddress(value, true);
            int at = value.lastIndexOf('@');
            return parsed.getPersonal() == null && !parsed.isGroup()
                    && value.equals(parsed.getAddress()) && at > 0 && at < value.length() - 1;
        } catch (AddressException e) {
            return false;
        }
    }
}
