package io.jamesacme.smime.acme;

import java.util.concurrent.Callable;

/**
 * Runs acme4j code with this extension's class loader as the thread context class loader.
 *
 * <p>acme4j finds its challenge providers with {@code ServiceLoader.load(Class)}, which
 * searches the context class loader. James loads extensions from {@code extensions-jars/}
 * through a child class loader, while its own threads carry the application class loader,
 * so without this switch acme4j would not see {@code email-reply-00}.
 */
final class ExtensionClassLoader {
    private ExtensionClassLoader() {
    }

    static <T, E extends Exception> T call(AcmeCall<T, E> call) throws E {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ExtensionClassLoader.class.getClassLoader());
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** A {@link Callable} with a typed exception. */
    @FunctionalInterface
    interface AcmeCall<T, E extends Exception> {
        T call() throws E;
    }
}
