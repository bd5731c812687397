import { mount, RouterLinkStub } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/client'
import EstimateExplanation from './EstimateExplanation.vue'

const factor: Schemas['FactorOut'] = {
  id: 'desnz:2024:fuels:diesel:litres',
  name: 'Diesel (average biofuel blend)',
  value: 2.51279,
  unit: 'kg CO2e',
  per_unit: 'litres',
  source_id: 'desnz',
  dataset: 'UK GHG conversion factors',
  edition: '2024',
  year: 2024,
  region: 'GB',
  scope: 'Scope 1',
  licence: 'OGL v3.0',
  url: 'https://www.gov.uk/government/collections/government-conversion-factors-for-company-reporting',
  gases: { co2: 2.47, ch4: 0.0003, n2o: 0.042 },
}
const estimate: Schemas['EstimateOut'] = {
  activity: 'diesel',
  amount: 40,
  unit: 'litres',
  amount_normalised: 40,
  unit_normalised: 'litres',
  co2e_kg: 100.5116,
  range: { low: 95.1, high: 106.2, basis: '±5% (DESNZ uncertainty)' },
  explanation: [
    { text: '40 litres of diesel' },
    { text: 'Factor: 2.51279 kg CO2e per litre', value: 2.51279, unit: 'kg CO2e/litre' },
    { text: '40 × 2.51279', value: 100.5116, unit: 'kg CO2e' },
  ],
  factor,
  components: [factor, { ...factor, id: 'desnz:2024:wtt:diesel', name: 'Diesel well-to-tank', value: 0.6 }],
  gases: { co2: 98.8, ch4: 0.012, n2o: 1.7 },
  methodology: 'activity × factor',
  metrics: { energy_kwh: 402.1 },
  region: 'GB',
  source: 'desnz',
  year: 2024,
  warnings: ['No 2026 factor: used 2024.'],
}

const mountIt = (e = estimate) => mount(EstimateExplanation, { props: { estimate: e }, global: { stubs: { RouterLink: RouterLinkStub } } })

describe('EstimateExplanation', () => {
  it('shows the total, its range and basis, and every step in order with its value', () => {
    const w = mountIt()
    expect(w.get('.stat-value').text()).toMatch(/^101 kg CO₂e$/)
    expect(w.text()).toContain('range 95.1 kg – 106 kg (±5% (DESNZ uncertainty))')
    const steps = w.findAll('ol.steps > li').map((li) => li.text())
    expect(steps).toHaveLength(3)
    expect(steps[0]).toBe('40 litres of diesel')
    // A value the text already states is not repeated.
    expect(steps[1]).toBe('Factor: 2.51279 kg CO2e per litre')
    expect(steps[2]).toBe('40 × 2.51279 = 100.5116 kg CO2e')
    expect(w.text()).toContain('Method: activity × factor')
  })

  it('splits the gases with their shares', () => {
    const rows = mountIt().findAll('table.gases tbody tr').map((r) => r.findAll('td').map((td) => td.text()))
    expect(rows.map((r) => r[0])).toEqual(['CO₂', 'CH₄', 'N₂O'])
    expect(rows[0]![1]).toBe('98.8')
    expect(rows[0]![2]).toBe('98.3%')
    expect(rows[2]![2]).toBe('1.7%')
  })

  it('names the factor with its provenance, links it, and lists the other factors used and the warnings', () => {
    const w = mountIt()
    const links = w.findAllComponents(RouterLinkStub)
    expect(links[0]!.props('to')).toEqual({ name: 'factor', params: { factorId: 'desnz:2024:fuels:diesel:litres' } })
    expect(links[0]!.text()).toBe('Diesel (average biofuel blend)')
    const prov = w.get('[data-testid="provenance"]').text()
    for (const part of ['UK GHG conversion factors · 2024', 'GB', 'Scope 1', 'OGL v3.0', 'desnz:2024:fuels:diesel:litres']) expect(prov).toContain(part)
    expect(w.get('[data-testid="provenance"] a').attributes('href')).toBe(factor.url)
    expect(w.findAll('ul.others li').map((li) => li.text())).toEqual(['Diesel well-to-tank: 0.6 kg CO2e/litres'])
    expect(w.findAll('ul.warn li').map((li) => li.text())).toEqual(['No 2026 factor: used 2024.'])
  })

  it('leaves out empty sections and never links a non-http URL', () => {
    const w = mountIt({ ...estimate, gases: {}, metrics: {}, warnings: [], components: [factor], factor: { ...factor, url: 'javascript:alert(1)' } })
    expect(w.find('table.gases').exists()).toBe(false)
    expect(w.find('ul.others').exists()).toBe(false)
    expect(w.find('ul.warn').exists()).toBe(false)
    expect(w.find('[data-testid="provenance"] a').exists()).toBe(false)
  })
})
