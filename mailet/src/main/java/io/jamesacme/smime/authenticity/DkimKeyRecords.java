package io.jamesacme.smime.authenticity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The sources of DKIM public keys: DNS through James' DNS service, or a file for a lab. */
public final class DkimKeyRecords {
    /** The value in a key file that stands for a temporary DNS failure of that name. */
    public static final String TEMPORARY_FAILURE = "!tempfail";

    private DkimKeyRecords() {
    }

    /**
     * Looks up {@code <selector>._domainkey.<domain>} TXT records with James' DNS service.
     *
     * <p>NOTE: James 3.8.1's DNSJavaService returns an empty list when the DNS server fails
     * temporarily, so such a failure is reported as a missing key (DKIM_FAIL), not as a
     * temporary error. Only a DNS service that throws yields a temporary failure.
     */
    public static PublicKeyRecordRetriever dns(DNSService dnsService) {
        return (method, selector, domain) -> {
            requireDns(method);
            String name = recordName(selector, domain);
            Collection<String> records;
            try {
                records = dnsService.findTXTRecords(name);
            } catch (RuntimeException e) {
                throw new TempFailException("DNS lookup of " + name + " failed: " + e.getMessage());
            }
            if (records == null || records.isEmpty()) {
                throw new PermFailException("no DKIM key record at " + name);
            }
            return records.stream().map(DkimKeyRecords::txtValue).collect(Collectors.toList());
        };
    }

    /**
     * Returns the value of a TXT record as DKIM reads it. James' DNSJavaService returns the
     * record in zone-file form, each character-string quoted and escaped, separated by spaces
     * ({@code "v=DKIM1; k=rsa; " "p=MII..."}). DKIM joins the strings without separator
     * (RFC 6376 section 3.6.2.2). A value that does not start with a quote is returned as is.
     */
    private static String txtValue(String record) {
        String stripped = record.strip();
        if (!stripped.startsWith("\"")) {
            return record;
        }
        try {
            TXTRecord txt = (TXTRecord) Record.fromString(Name.root, Type.TXT, DClass.IN, 0,
                stripped, Name.root);
            return txt.getStringsAsByteArrays().stream()
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .collect(Collectors.joining());
        } catch (IOException | RuntimeException e) {
            // jDKIM then rejects the unparsed value as an invalid key record.
            return record;
        }
    }

    /**
     * Reads key records from a file of lines {@code <selector>._domainkey.<domain> <TXT value>},
     * name and value separated by spaces or tabs. Lines starting with {@code #} are comments.
     * The value {@value #TEMPORARY_FAILURE} makes the lookup fail as a DNS timeout would.
     * Meant for labs and tests without DNS.
     *
     * @throws UncheckedIOException when the file cannot be read
     */
    public static PublicKeyRecordRetriever file(Path path) {
        Map<String, String> records = new HashMap<>();
        try {
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                String stripped = line.strip();
                if (stripped.isEmpty() || stripped.startsWith("#")) {
                    continue;
                }
                String[] nameAndValue = stripped.split("\\s+", 2);
                if (nameAndValue.length < 2) {
                    throw new IOException("line '" + stripped + "' has no value after the name");
                }
                records.put(nameAndValue[0].toLowerCase(Locale.ROOT), nameAndValue[1]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the DKIM key file " + path + ": "
                + e.getMessage(), e);
        }
        return (method, selector, domain) -> {
            requireDns(method);
            String name = recordName(selector, domain);
            String value = records.get(name);
            if (value == null) {
                throw new PermFailException("no DKIM key record at " + name + " in " + path);
            }
            if (TEMPORARY_FAILURE.equals(value)) {
                throw new TempFailException("the lookup of " + name + " failed temporarily");
            }
            return List.of(value);
        };
    }

    private static void requireDns(CharSequence method) throws PermFailException {
        if (!"dns/txt".equalsIgnoreCase(method.toString())) {
            throw new PermFailException("unsupported DKIM key query method " + method);
        }
    }

    private static String recordName(CharSequence selector, CharSequence domain) {
        return (selector + "._domainkey." + domain).toLowerCase(Locale.ROOT);
    }
}
