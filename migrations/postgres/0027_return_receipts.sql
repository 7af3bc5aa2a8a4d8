-- A letter for the post may go with a return receipt ("обратна разписка"): the registry office
-- sends it as registered mail with the receipt form printed after it, and records the day the
-- person signed for it when the card comes back.
ALTER TABLE deliveries ADD COLUMN return_receipt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN receipt_signed_on TEXT;
