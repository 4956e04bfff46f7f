"""The five gamification agents: an orchestrator that hands the PRD's task types to four
specialists (referrals, achievements, leaderboards, showcases), every task recorded."""
