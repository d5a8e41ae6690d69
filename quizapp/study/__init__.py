"""Study: law library, study materials and reading progress."""
