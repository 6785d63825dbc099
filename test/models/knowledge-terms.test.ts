import { expect } from 'chai';
import { entryTerms, indexTerms, queryTerms, scoreOf } from '../../models/knowledge-terms.ts';

describe('knowledge search terms', () => {
  describe('English', () => {
    it('indexes whole words in lower case, without punctuation, stop words or single letters', () => {
      expect(indexTerms('The Printer JAMS on paper-tray 2, a known issue!')).to.have.members(['printer', 'jams', 'paper', 'tray', '2', 'known', 'issue']);
    });

    it('normalises full-width letters and digits (NFKC) and keeps each term once', () => {
      expect(indexTerms('ＰＲＩＮＴＥＲ printer Printer ２０２６')).to.deep.equal(['printer', '2026']);
    });

    it('asks for the same words in a query, and nothing for a query of stop words or symbols', () => {
      expect(queryTerms('Paper JAM in the tray')).to.deep.equal(['paper', 'jam', 'tray']);
      expect(queryTerms('the and of')).to.deep.equal([]);
      expect(queryTerms('!!! --- ***')).to.deep.equal([]);
    });

    it('keeps words of other scripts written with spaces whole (Cyrillic, Greek, accented Latin)', () => {
      expect(indexTerms('Принтер замял бумагу; Εκτυπωτής; Drucker blockiert, Papierstau à côté')).to.have.members([
        'принтер', 'замял', 'бумагу', 'εκτυπωτής', 'drucker', 'blockiert', 'papierstau', 'côté',
      ]);
    });
  });

  describe('Chinese', () => {
    it('indexes each character and each pair of neighbouring characters', () => {
      expect(indexTerms('打印机卡纸')).to.have.members(['打', '印', '机', '卡', '纸', '打印', '印机', '机卡', '卡纸']);
    });

    it('asks a query for its pairs, so 卡纸 finds 打印机卡纸 and 卡 ... 纸 apart does not match', () => {
      expect(queryTerms('卡纸')).to.deep.equal(['卡纸']);
      expect(indexTerms('打印机卡纸')).to.include('卡纸');
      expect(indexTerms('银行卡和纸张')).to.not.include('卡纸');
      expect(queryTerms('打印机 卡纸')).to.deep.equal(['打印', '印机', '卡纸']);
    });

    it('asks for a single character when the query is one character', () => {
      expect(queryTerms('纸')).to.deep.equal(['纸']);
    });

    it('does not join pairs across punctuation', () => {
      expect(indexTerms('卡纸，报错')).to.not.include('纸报');
    });

    it('treats Japanese and Korean the same way', () => {
      expect(indexTerms('カード')).to.have.members(['カ', 'ー', 'ド', 'カー', 'ード']);
      expect(queryTerms('한국어')).to.deep.equal(['한국', '국어']);
    });
  });

  describe('mixed', () => {
    it('splits Latin words from the CJK text they touch', () => {
      expect(queryTerms('HP打印机卡纸 error E05')).to.deep.equal(['hp', '打印', '印机', '机卡', '卡纸', 'error', 'e05']);
      expect(indexTerms('LaserJet卡纸')).to.have.members(['laserjet', '卡', '纸', '卡纸']);
    });

    it('bounds the terms of a long query and of a long entry', () => {
      const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
      expect(queryTerms(long)).to.have.length(64);
      expect(entryTerms({ problem: 'p', solution: long, category: 'c' }, 100)).to.have.length(100);
    });
  });

  describe('scoreOf', () => {
    const entry = { problem: 'Printer jam', symptoms: '打印机卡纸', solution: 'Open the tray', product: 'LaserJet', category: 'Hardware', tags: ['paper'] };

    it('weighs a term by the best part it is found in: problem and symptoms 3, solution 2, labels 1', () => {
      expect(scoreOf(entry, ['jam'])).to.equal(3);
      expect(scoreOf(entry, ['卡纸'])).to.equal(3);
      expect(scoreOf(entry, ['tray'])).to.equal(2);
      expect(scoreOf(entry, ['paper'])).to.equal(1);
      expect(scoreOf(entry, ['laserjet', 'hardware'])).to.equal(2);
      expect(scoreOf(entry, ['jam', 'tray', 'paper', 'absent'])).to.equal(6);
      expect(scoreOf(entry, [])).to.equal(0);
    });
  });
});
