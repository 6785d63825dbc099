import Joi from 'joi';

// The filters every report takes (routes/reports.ts, routes/reports-service-level.ts).

export const filterKeys = {
  region: Joi.string().trim().min(1).max(100).description("the customer's company.region"),
  industry: Joi.string().trim().min(1).max(100).description("the customer's company.industry"),
  team: Joi.string().trim().min(1).max(100).description("the team of the customer's owner"),
};
