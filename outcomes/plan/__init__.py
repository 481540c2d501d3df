"""The statistical analysis plan as versioned data: its document (:mod:`outcomes.plan.document`),
how a file becomes a stored version and is locked (:mod:`outcomes.plan.services`) and how the
plan in force is read (:mod:`outcomes.plan.selectors`)."""
