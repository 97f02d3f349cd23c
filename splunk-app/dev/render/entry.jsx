// The page that renders one Dashboard Studio definition offline, with Splunk's public packages: DashboardCore in
// a DashboardContextProvider, Splunk Enterprise's view-only preset, and two substitutions that a test needs:
// `ds.search` runs each query through `window.__runSearch` (the test runs it against the Splunk emulator), and the
// drilldowns Splunk Web supplies (linkToSearch, linkToDashboard, customUrl) are recorded in `window.__events`
// instead of navigating. Everything else (tokens, inputs, setToken drilldowns, layout, visualizations) is the
// framework's own.
import React from 'react';
import { createRoot } from 'react-dom/client';
import * as CoreModule from '@splunk/dashboard-core';
import { DashboardContextProvider } from '@splunk/dashboard-context';
import * as PresetModule from '@splunk/dashboard-presets/EnterpriseViewOnlyPreset';
import * as DataSourceModule from '@splunk/datasources/DataSource';
import { DataSet } from '@splunk/datasource-utils';
import * as ThemeModule from '@splunk/themes/SplunkThemeProvider';

// The packages are CommonJS builds; take the default export whichever way the interop wrapped it.
const pick = (m, test) => [m, m && m.default, m && m.default && m.default.default].find(test);
const isFn = (x) => typeof x === 'function' || (x && typeof x === 'object' && x.$$typeof);
const DashboardCore = pick(CoreModule, isFn);
const DataSource = pick(DataSourceModule, (x) => typeof x === 'function');
const SplunkThemeProvider = pick(ThemeModule, isFn);
const EnterpriseViewOnlyPreset = pick(PresetModule, (x) => x && typeof x === 'object' && x.visualizations);

window.__events = [];
window.__searches = [];

class EmulatorSearch extends DataSource {
    request() {
        return (observer) => {
            let cancelled = false;
            const { query, queryParameters = {} } = this.options;
            const id = this.context && this.context.id;
            window.__searches.push({ id, query });
            window
                .__runSearch({ id, query, earliest: queryParameters.earliest, latest: queryParameters.latest })
                .then((res) => {
                    if (cancelled) return;
                    if (res.error) {
                        observer.error({ level: 'error', message: res.error, meta: { status: 'failed' } });
                        return;
                    }
                    observer.next({
                        data: DataSet.fromJSONCols(res.fields, res.columns),
                        meta: { status: 'done', percentComplete: 100, totalCount: res.columns[0] ? res.columns[0].length : 0, sid: `emu_${id}`, lastUpdated: new Date().toISOString() },
                    });
                    observer.complete();
                });
            return () => {
                cancelled = true;
            };
        };
    }
}

const recorder = (type) =>
    class Recorder {
        constructor(options) {
            this.options = options;
        }
        canHandle() {
            return true;
        }
        handle(event) {
            const payload = event && event.payload ? JSON.parse(JSON.stringify(event.payload)) : null;
            window.__events.push({ type, options: JSON.parse(JSON.stringify(this.options || {})), payload });
            return Promise.resolve([]);
        }
    };

const preset = {
    ...EnterpriseViewOnlyPreset,
    dataSources: { ...EnterpriseViewOnlyPreset.dataSources, 'ds.search': EmulatorSearch },
    eventHandlers: {
        ...EnterpriseViewOnlyPreset.eventHandlers,
        'drilldown.linkToSearch': recorder('drilldown.linkToSearch'),
        'drilldown.linkToDashboard': recorder('drilldown.linkToDashboard'),
        'drilldown.customUrl': recorder('drilldown.customUrl'),
    },
};

const root = createRoot(document.getElementById('root'));
root.render(
    <SplunkThemeProvider family="enterprise" colorScheme="light" density="comfortable">
        <DashboardContextProvider preset={preset} initialDefinition={window.__definition}>
            <DashboardCore width={window.innerWidth} height="100%" />
        </DashboardContextProvider>
    </SplunkThemeProvider>
);
