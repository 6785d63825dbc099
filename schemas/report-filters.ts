import Joi from 'joi';

// The filters the reports take (routes/reports.ts, routes/reports-service-level.ts, the gift and service reports).

export const filterKeys = {
  region: Joi.string().trim().min(1).max(100).description("the customer's company.region"),
  industry: Joi.string().trim().min(1).max(100).description("the customer's company.industry"),
  team: Joi.string().trim().min(1).max(100).description("the team of the customer's owner"),
};

/** The period of the gift and service reports: a month (2031-05) or a quarter (2031-Q2). */
export const monthOrQuarter = Joi.string().pattern(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/)
  .messages({ 'string.pattern.base': '{#label} must be a month (2031-05) or a quarter (2031-Q2)' });
