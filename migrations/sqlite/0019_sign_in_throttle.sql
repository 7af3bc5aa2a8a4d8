-- Sign-in failures are counted per account and address in rate_counts (see signing_in.rs):
-- the lock-out per login, which anyone could aim at any account, is gone.
DROP TABLE sign_in_failures;
