package io.jamesacme.testca;

import java.io.ByteArrayInputStream;
import java.util.List;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;

/** Verifies DKIM signatures with jDKIM against the key record that a test CA publishes. */
final class DkimVerification {

    private DkimVerification() {
    }

    /**
     * Verifies every DKIM-Signature of {@code rawMessage}. The key lookup returns a record only
     * for {@link TestCa#dkimRecordName()}, so a signature for another d= or s= finds no key.
     *
     * @return the verified signatures; null if the message has no DKIM-Signature
     * @throws FailException if no signature verifies
     */
    static List<SignatureRecord> verify(TestCa ca, byte[] rawMessage) throws Exception {
        PublicKeyRecordRetriever caRecord = (method, selector, domain) ->
                (selector + "._domainkey." + domain).equalsIgnoreCase(ca.dkimRecordName())
                        ? List.of(ca.dkimKeyRecord()) : List.of();
        return new DKIMVerifier(caRecord).verify(new ByteArrayInputStream(rawMessage));
    }
}
