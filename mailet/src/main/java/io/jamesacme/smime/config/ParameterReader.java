package io.jamesacme.smime.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.util.DurationParser;

/** Reads typed values and names the parameter in every error. */
final class ParameterReader {
    private final Configuration configuration;

    ParameterReader(Configuration configuration) {
        this.configuration = configuration;
    }

    /**
     * Returns the value as written. James' properties reader splits values at commas, so
     * the parts of a list such as {@code dkim,smime} are joined again here.
     */
    Optional<String> string(String parameter) {
        String[] parts = configuration.getStringArray(parameter);
        if (parts == null || parts.length == 0) {
            return Optional.empty();
        }
        return Optional.of(String.join(",", parts).strip())
            .filter(value -> !value.isEmpty());
    }

    boolean bool(String parameter, boolean defaultValue) {
        return string(parameter).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigurationException(parameter, value,
                "expected true or false");
        }).orElse(defaultValue);
    }

    Duration duration(String parameter, Duration defaultValue) {
        return string(parameter).map(value -> {
            try {
                Duration duration = DurationParser.parse(value);
                if (duration.isNegative()) {
                    throw new NumberFormatException("negative");
                }
                return duration;
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigurationException(parameter, value,
                    "expected a duration such as 500ms, 30s, 10m or 1h", e);
            }
        }).orElse(defaultValue);
    }

    Duration positiveDuration(String parameter, Duration defaultValue) {
        Duration duration = duration(parameter, defaultValue);
        if (duration.isZero()) {
            throw new InvalidConfigurationException(parameter, string(parameter).orElse("0"),
                "expected a duration greater than zero");
        }
        return duration;
    }

    int intInRange(String parameter, int defaultValue, int min, int max) {
        return string(parameter).map(value -> {
            try {
                int number = Integer.parseInt(value);
                if (number < min || number > max) {
                    throw new NumberFormatException("out of range");
                }
                return number;
            } catch (NumberFormatException e) {
                throw new InvalidConfigurationException(parameter, value,
                    "expected a whole number from " + min + " to " + max, e);
            }
        }).orElse(defaultValue);
    }
}
