import { render } from 'preact';
import { setIconBase } from '../../../web/src/app/icons.js';
import { Popup } from './Popup.js';
import './popup.css';

// Issuer icons are files of the extension itself (scripts/build.mjs), never fetched from a server.
setIconBase({ url: '/icons/', cache: false });

render(<Popup />, document.getElementById('app')!);
