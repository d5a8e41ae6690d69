"""Learning that brings cadres back: 每日一练 (spaced repetition) and the 以案释法 case library."""
