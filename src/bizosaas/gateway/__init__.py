"""The Brain Gateway: the one door every UI and API call goes through."""
