-- The key pair of an account key rollover in progress, and when it was stored. It is stored
-- before the CA is asked to change the key, so a crash during the rollover loses neither the
-- old key nor the new one.
ALTER TABLE acme_smime_account
    ADD COLUMN new_private_key    bytea,
    ADD COLUMN new_public_key     bytea,
    ADD COLUMN new_key_created_at timestamptz,
    ADD CONSTRAINT acme_smime_account_new_key_pair
        CHECK ((new_private_key IS NULL) = (new_public_key IS NULL)
            AND (new_private_key IS NULL) = (new_key_created_at IS NULL));
