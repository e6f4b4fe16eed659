import { describe, expect, it } from 'vitest';
import { fileLinks } from './uploads';

const ID = 'tp5PE6cFFhX9l8mtyuV-XA';

describe('fileLinks', () => {
  it('finds links to our own files only', () => {
    const o = 'https://chat.example.com';
    expect(fileLinks(`look ${o}/file/${ID}`, o)).toEqual([`${o}/file/${ID}`]);
    expect(fileLinks(`(${o}/file/${ID}).`, o)).toEqual([`${o}/file/${ID}`]);
    expect(fileLinks(`https://evil.example/file/${ID}`, o)).toEqual([]);
    expect(fileLinks(`${o}.evil.example/file/${ID}`, o)).toEqual([]);
    expect(fileLinks(`${o}/file/${ID}x`, o)).toEqual([]);
    expect(fileLinks(`${o}/file/short`, o)).toEqual([]);
    expect(fileLinks(`${o}/file/${ID} ${o}/file/${ID}`, o)).toHaveLength(1);
  });
});
