package io.jamesacme.smime.james;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

import javax.inject.Inject;

import org.apache.james.metrics.api.MetricFactory;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * Counts challenge outcomes: answered, parked until the order is ready, and rejected by
 * reason. The counts go to James' metrics ({@code acme_smime_challenge_answered},
 * {@code acme_smime_challenge_rejected} and {@code acme_smime_challenge_rejected_<code>}) and
 * are kept here for the WebAdmin route.
 */
public class ChallengeMetrics {
    static final String PREFIX = "acme_smime_challenge_";

    private final MetricFactory metricFactory;
    private final LongAdder answered = new LongAdder();
    private final LongAdder deferred = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final ConcurrentMap<RejectionReason, LongAdder> byReason = new ConcurrentHashMap<>();

    @Inject
    public ChallengeMetrics(MetricFactory metricFactory) {
        this.metricFactory = metricFactory;
    }

    void answered() {
        answered.increment();
        metricFactory.generate(PREFIX + "answered").increment();
    }

    void deferred() {
        deferred.increment();
        metricFactory.generate(PREFIX + "deferred").increment();
    }

    void rejected(RejectionReason reason) {
        rejected.increment();
        byReason.computeIfAbsent(reason, any -> new LongAdder()).increment();
        metricFactory.generate(PREFIX + "rejected").increment();
        metricFactory.generate(PREFIX + "rejected_" + reason.code().replace('-', '_')).increment();
    }

    /** Returns the counts since James started. */
    public Snapshot snapshot() {
        Map<String, Long> reasons = new TreeMap<>();
        byReason.forEach((reason, count) -> reasons.put(reason.code(), count.sum()));
        return new Snapshot(answered.sum(), deferred.sum(), rejected.sum(), reasons);
    }

    /** The counts at one moment; {@code rejectedByReason} is keyed by reason code. */
    public record Snapshot(long answered, long deferred, long rejected, Map<String, Long> rejectedByReason) {
    }
}
