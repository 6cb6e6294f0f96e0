/** @fileoverview The nginx builder: quoting, determinism, one htpasswd file per user location. */
import { describe, expect, it } from 'vitest';
import { block, d, renderNginx } from './nginx-ast';
import { renderWorkshopConf, type WorkshopNginxOptions } from './nginx-config';

const opts: WorkshopNginxOptions = {
  listen: 8080,
  users: ['user001', 'user002'].map((id, i) => ({
    id,
    upstream: `127.0.0.1:${9001 + i}`,
    htpasswdFile: `/h/${id}`,
  })),
  relayUpstream: 'relay:3000',
  adminHtpasswdFile: '/h/admin',
  adminToken: "tok'en",
};

describe('nginx config builder', () => {
  it('quotes what nginx would misread and leaves plain words alone', () => {
    const text = renderNginx([
      block(
        'location',
        ['/a/'],
        [d('return', 200, 'two words; {x}'), d('add_header', 'X', "it's"), d('', 'close')],
      ),
    ]);
    expect(text).toBe(
      "location /a/ {\n    return 200 'two words; {x}';\n    add_header X 'it\\'s';\n    '' close;\n}",
    );
  });

  it('is deterministic and gives every user location exactly its own htpasswd file', () => {
    const text = renderWorkshopConf(opts);
    expect(renderWorkshopConf(opts)).toBe(text);
    for (const id of ['user001', 'user002']) {
      const location = text.slice(
        text.indexOf(`location /${id}/ {`),
        text.indexOf('}', text.indexOf(`location /${id}/ {`)),
      );
      expect(location.match(/auth_basic_user_file (\S+);/g)).toEqual([
        `auth_basic_user_file /h/${id};`,
      ]);
      expect(location).toContain(`proxy_pass http://127.0.0.1:${id === 'user001' ? 9001 : 9002};`);
      expect(text).toContain(`location = /${id} {\n        return 301 /${id}/;`);
    }
    expect(text).toContain("proxy_set_header Authorization 'Bearer tok\\'en';");
    expect(text.match(/auth_basic_user_file \/h\/admin;/g)).toHaveLength(3); // /admin/, /relay/, /api/
  });
});
