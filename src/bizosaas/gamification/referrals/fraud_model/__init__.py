"""The trained referral-fraud model: features of a conversion and its neighbourhood
(:mod:`.features`), labelled traffic to learn from (:mod:`.traffic`), and the classifier,
its training, its figures and its safe file (:mod:`.model`)."""
