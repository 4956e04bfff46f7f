"""Analytics: the referral funnel, unlock, participation and portfolio rates, and targets."""
