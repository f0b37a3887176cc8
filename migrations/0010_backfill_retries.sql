ALTER TABLE `backfill_jobs` ADD `failed_keys` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `backfill_jobs` ADD `retry_round` integer DEFAULT 0 NOT NULL;