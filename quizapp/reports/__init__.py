"""Reports for leaders and organisers: completion and rankings by unit, 述法 sheets, annual figures, exports."""
