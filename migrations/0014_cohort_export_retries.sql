ALTER TABLE `cohort_exports` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `cohort_exports` ADD `failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `cohort_exports` ADD `failed_keys` text DEFAULT '[]' NOT NULL;