import { expect } from 'chai';
import { Types } from 'mongoose';
import { backfillCompanyCopies } from '../../models/customer-copies.ts';
import { CustomerModel } from '../../models/customer.ts';
import { api, bearer, createCustomer, createUser, uniqueCode, type TestUser } from '../factories.ts';

// ?industry= and ?region= filter on top-level copies of company.industry and company.region (an index serves them
// with the name sort on every engine); every way a customer is written keeps the copies, and a start fills them in.
describe('GET /customers?industry=&region= (copies of the company profile)', () => {
  let exec: TestUser;
  let manager: TestUser;
  const tag = () => `Ind-${new Types.ObjectId().toHexString()}`;

  before(async () => {
    exec = await createUser({ role: 'executive' });
    manager = await createUser({ role: 'manager' });
  });

  const names = async (query: Record<string, string>, user = exec) => {
    const res = await api().get('/api/v1/customers').query({ limit: 200, ...query }).set(bearer(user));
    expect(res.status, res.text).to.equal(200);
    return (res.body.items as Array<{ name: string }>).map((c) => c.name);
  };

  it('finds a customer by industry and region after create and after a PATCH of either field', async () => {
    const [energy, retail, region] = [tag(), tag(), tag()];
    const c = await createCustomer(manager, { name: 'Copies A', company: { industry: energy, region } });
    await createCustomer(manager, { name: 'Copies B', company: { industry: retail } });
    expect(await names({ industry: energy })).to.deep.equal(['Copies A']);
    expect(await names({ region })).to.deep.equal(['Copies A']);
    expect(await names({ industry: retail }, manager)).to.deep.equal(['Copies B']);

    let res = await api().patch(`/api/v1/customers/${c.id}`).set(bearer(manager)).send({ company: { industry: retail } });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.not.have.any.keys('companyIndustry', 'companyRegion');
    expect(await names({ industry: energy })).to.deep.equal([]);
    expect(await names({ industry: retail })).to.deep.equal(['Copies A', 'Copies B']);
    expect(await names({ region }), 'the region is untouched by a PATCH of the industry').to.deep.equal(['Copies A']);

    res = await api().patch(`/api/v1/customers/${c.id}`).set(bearer(manager)).send({ company: { region: energy } });
    expect(res.status, res.text).to.equal(200);
    expect(await names({ region })).to.deep.equal([]);
    expect(await names({ region: energy })).to.deep.equal(['Copies A']);

    const stored = await CustomerModel.findById(c.id).lean();
    expect([stored!.companyIndustry, stored!.companyRegion]).to.deep.equal([stored!.company!.industry, stored!.company!.region]);
    const history = await api().get(`/api/v1/customers/${c.id}/timeline`).set(bearer(manager));
    expect(JSON.stringify(history.body), 'the copies are bookkeeping, not changes of the file').to.not.contain('companyIndustry');
  });

  it('keeps the copies of customers imported from CSV, new and updated', async () => {
    const [industry, later] = [tag(), tag()];
    const code = uniqueCode('CSV');
    const csv = (ind: string) => `code,name,company.industry,company.region\n${code},Imported ${code},${ind},North\n`;
    let res = await api().post('/api/v1/customers/import').set(bearer(manager)).set('Content-Type', 'text/csv').send(csv(industry));
    expect(res.status, res.text).to.be.oneOf([200, 201]);
    expect(await names({ industry })).to.deep.equal([`Imported ${code}`]);
    res = await api().post('/api/v1/customers/import').set(bearer(manager)).set('Content-Type', 'text/csv').send(csv(later));
    expect(res.status, res.text).to.be.oneOf([200, 201]);
    expect(await names({ industry })).to.deep.equal([]);
    expect(await names({ industry: later })).to.deep.equal([`Imported ${code}`]);
  });

  it('fills in the copies of customers written before they existed, once', async () => {
    const industry = tag();
    const c = await createCustomer(manager, { name: 'Before copies', company: { industry, region: 'West' } });
    await CustomerModel.collection.updateOne({ _id: new Types.ObjectId(c.id) }, { $unset: { companyIndustry: '', companyRegion: '' } });
    expect(await names({ industry })).to.deep.equal([]);
    expect(await backfillCompanyCopies(CustomerModel)).to.be.greaterThan(0);
    expect(await names({ industry })).to.deep.equal(['Before copies']);
    expect(await backfillCompanyCopies(CustomerModel)).to.equal(0);
  });

  it('refuses an operator in place of an industry', async () => {
    const res = await api().get('/api/v1/customers').query({ 'industry[$ne]': 'x' }).set(bearer(exec));
    expect(res.status).to.equal(400);
  });
});
