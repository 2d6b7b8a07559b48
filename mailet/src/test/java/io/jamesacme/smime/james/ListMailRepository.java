package io.jamesacme.smime.james;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.mailet.Mail;

/** A mail repository in a map, and a store that hands it out for any URL. */
final class ListMailRepository implements MailRepository {
    private final Map<MailKey, Mail> mails = new LinkedHashMap<>();

    @Override
    public synchronized long size() {
        return mails.size();
    }

    @Override
    public synchronized MailKey store(Mail mail) throws MessagingException {
        MailKey key = MailKey.forMail(mail);
        mails.put(key, mail.duplicate());
        return key;
    }

    @Override
    public synchronized Iterator<MailKey> list() {
        return List.copyOf(mails.keySet()).iterator();
    }

    @Override
    public synchronized Mail retrieve(MailKey key) {
        return mails.get(key);
    }

    @Override
    public synchronized void remove(MailKey key) {
        mails.remove(key);
    }

    @Override
    public synchronized void removeAll() {
        mails.clear();
    }

    synchronized List<Mail> mails() {
        return List.copyOf(mails.values());
    }

    MailRepositoryStore store() {
        return new MailRepositoryStore() {
            @Override
            public MailRepository select(MailRepositoryUrl url) {
                return ListMailRepository.this;
            }

            @Override
            public Optional<Protocol> defaultProtocol() {
                return Optional.empty();
            }

            @Override
            public Optional<MailRepository> get(MailRepositoryUrl url) {
                return Optional.of(ListMailRepository.this);
            }

            @Override
            public Stream<MailRepository> getByPath(MailRepositoryPath path) {
                return Stream.of(ListMailRepository.this);
            }

            @Override
            public Stream<MailRepositoryUrl> getUrls() {
                return Stream.empty();
            }
        };
    }
}
