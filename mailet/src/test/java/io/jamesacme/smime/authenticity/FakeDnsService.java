package io.jamesacme.smime.authenticity;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

import org.apache.james.dnsservice.api.DNSService;

/** A James DNS service whose TXT lookups are answered by a function; it resolves nothing else. */
final class FakeDnsService implements DNSService {
    final List<String> queried = new ArrayList<>();
    private final Function<String, Collection<String>> txt;

    FakeDnsService(Function<String, Collection<String>> txt) {
        this.txt = txt;
    }

    @Override
    public Collection<String> findTXTRecords(String hostname) {
        queried.add(hostname);
        return txt.apply(hostname);
    }

    @Override
    public Collection<String> findMXRecords(String hostname) {
        throw new UnsupportedOperationException("findMXRecords");
    }

    @Override
    public Collection<InetAddress> getAllByName(String host) {
        throw new UnsupportedOperationException("getAllByName");
    }

    @Override
    public InetAddress getByName(String host) {
        throw new UnsupportedOperationException("getByName");
    }

    @Override
    public InetAddress getLocalHost() {
        throw new UnsupportedOperationException("getLocalHost");
    }

    @Override
    public String getHostName(InetAddress address) {
        throw new UnsupportedOperationException("getHostName");
    }
}
