import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, configDescriptions, loadConfig } from '../../server/config.ts';
import { projectRoot } from '../../server/embedded-db/engine.ts';

describe('configuration', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'key-accounts-config-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('has working defaults outside production, with a signing key generated once and kept in DATA_DIR', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).to.include({ env: 'development', port: 3000, host: '127.0.0.1', demoData: true, bodyLimit: '100kb' });
    expect(config.jwt.accessTtlSeconds).to.equal(900);
    expect(config.jwt.secret).to.have.length.greaterThan(40);
    expect(readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8')).to.equal(config.jwt.secret);
    expect(loadConfig({ DATA_DIR: dataDir }).jwt.secret).to.equal(config.jwt.secret);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('in production requires JWT_SECRET and turns demo data off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir })).to.throw(ConfigError, /JWT_SECRET is required/);
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(32) });
    expect(config.demoData).to.equal(false);
  });

  it('loads the demo accounts only when nobody named a real admin, unless asked to', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).demoData).to.equal(true);
    expect(loadConfig({ DATA_DIR: dataDir, ADMIN_EMAIL: 'root@example.org', ADMIN_PASSWORD: 'first admin password' }).demoData).to.equal(false);
    expect(loadConfig({ DATA_DIR: dataDir, ADMIN_EMAIL: 'root@example.org', ADMIN_PASSWORD: 'first admin password', DEMO_DATA: 'true' }).demoData).to.equal(true);
    expect(loadConfig({ DATA_DIR: dataDir, DEMO_DATA: 'false' }).demoData).to.equal(false);
  });

  it('names every mistake at once', () => {
    let message = '';
    try {
      loadConfig({ PORT: '70000', JWT_SECRET: 'short', MONGODB_URI: 'http://db', LOG_LEVEL: 'loud', ADMIN_PASSWORD: 'x' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of ['PORT', 'JWT_SECRET', 'MONGODB_URI', 'LOG_LEVEL', 'ADMIN_PASSWORD']) expect(message).to.include(`- ${key}`);
  });

  it('takes e-mail from an smtp:// or smtps:// relay with a sender (none without SMTP_URL) and the networks webhooks may reach', () => {
    const off = loadConfig({ DATA_DIR: dataDir, PORT: '8080' });
    expect(off.mail).to.equal(undefined);
    expect(off.publicUrl).to.equal('http://localhost:8080');
    const on = loadConfig({ DATA_DIR: dataDir, SMTP_URL: 'smtps://ka:pw@mail.example.com:465', MAIL_FROM: 'Key accounts <ka@example.com>', PUBLIC_URL: 'https://ka.example.com/' });
    expect(on.mail).to.deep.equal({ smtpUrl: 'smtps://ka:pw@mail.example.com:465', from: 'Key accounts <ka@example.com>' });
    expect(on.publicUrl).to.equal('https://ka.example.com');
    const mistakes = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: dataDir, ...env });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(mistakes({ SMTP_URL: 'smtp://mail.example.com' })).to.include('- MAIL_FROM is required');
    expect(mistakes({ SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'ka@example.com' })).to.include('- SMTP_URL');
    expect(mistakes({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'not an address' })).to.include('- MAIL_FROM must be an address');
    expect(mistakes({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: 'ka@example.com\r\nBcc: x@evil.test' })).to.include('- MAIL_FROM');
    expect(mistakes({ PUBLIC_URL: 'javascript:alert(1)' })).to.include('- PUBLIC_URL');
    expect(loadConfig({ DATA_DIR: dataDir }).webhookAllowedNetworks).to.deep.equal([]);
    expect(loadConfig({ DATA_DIR: dataDir, WEBHOOK_ALLOWED_NETWORKS: ' 10.20.0.0/16, 192.168.5.10,fd00::/8' }).webhookAllowedNetworks)
      .to.deep.equal(['10.20.0.0/16', '192.168.5.10', 'fd00::/8']);
    for (const bad of ['intranet', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', '10.0.0.0/8/1']) {
      expect(mistakes({ WEBHOOK_ALLOWED_NETWORKS: bad }), bad).to.include('- WEBHOOK_ALLOWED_NETWORKS must be');
    }
  });

  it('every variable of the schema is documented in the README', () => {
    const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
    const missing = Object.keys(configDescriptions).filter((key) => !readme.includes(`| \`${key}\` |`));
    expect(missing).to.deep.equal([]);
  });
});
