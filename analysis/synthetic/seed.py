"""The seed of the bundled synthetic cohort, apart from the generator so the command line starts fast."""

DEFAULT_SEED = 20230630
