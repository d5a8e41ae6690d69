"""Question banks: questions, their types, import and export."""
