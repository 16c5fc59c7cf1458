"""What people add to a run: interview answers, the questionnaire, waivers."""
