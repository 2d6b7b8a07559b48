package io.jamesacme.smime.config;

/**
 * Thrown at start-up for a configuration value that cannot be used. The message names the
 * parameter, the value and what is allowed, so that James stops with an actionable error.
 */
public class InvalidConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidConfigurationException(String parameter, String value, String allowed) {
        super("Invalid value '" + value + "' for '" + parameter + "' in "
            + AcmeSmimeConfiguration.FILE_NAME + ".properties: " + allowed);
    }

    public InvalidConfigurationException(String parameter, String value, String allowed,
                                         Throwable cause) {
        this(parameter, value, allowed);
        initCause(cause);
    }

    public static InvalidConfigurationException missing(String parameter, String allowed) {
        return new InvalidConfigurationException(parameter, "", "the parameter is required, "
            + allowed);
    }
}
